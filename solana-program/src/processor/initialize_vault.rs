//! `InitializeVault`: creates the vault, PDA `[b"vault"]`, whose address is
//! its app identity on the wire.
//!
//! Accounts:
//! 0. `[writable, signer]` payer
//! 1. `[signer]` admin (the endpoint's)
//! 2. `[]` endpoint, PDA `[b"endpoint"]`
//! 3. `[writable]` vault, PDA `[b"vault"]` (created)
//! 4. `[]` system program

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_payer, require_system_program, NewAccount,
};
use crate::endpoint::{load_endpoint, require_admin};
use crate::error::LoanbridgeError;
use crate::pda;
use crate::state::{init, Header, Layout, Vault, U32, U64};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    &(lending_eid, request_ttl): &(u32, u64),
) -> ProgramResult {
    let [payer, admin, endpoint, vault, system_program] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    let bump = {
        let state = load_endpoint(endpoint, program_id)?;
        require_admin(&state, admin)?;
        if vault.address().as_array() != &state.vault {
            return Err(LoanbridgeError::InvalidPda.into());
        }
        state.vault_bump
    };
    if lending_eid == 0 {
        return Err(LoanbridgeError::InvalidEid.into());
    }
    if request_ttl == 0 {
        return Err(LoanbridgeError::VaultZeroRequestTtl.into());
    }
    if !is_uninitialized(vault) {
        return Err(LoanbridgeError::AccountAlreadyInitialized.into());
    }

    let bump_seed = [bump];
    let seeds = [Seed::from(pda::VAULT), Seed::from(&bump_seed)];
    create_pda(&NewAccount {
        payer,
        account: vault,
        space: Vault::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    init(
        vault,
        &Vault {
            header: Header::new(Vault::DISCRIMINATOR, bump),
            lending_eid: U32::new(lending_eid),
            request_ttl: U64::new(request_ttl),
            loan_nonce: U64::new(0),
            native_locked: U64::new(0),
        },
    )
}
