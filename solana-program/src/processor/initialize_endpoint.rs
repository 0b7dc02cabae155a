//! `InitializeEndpoint`: creates the endpoint state with its first verifier
//! set (epoch 1).
//!
//! Accounts:
//! 0. `[writable, signer]` payer
//! 1. `[signer]` admin: becomes the endpoint's admin
//! 2. `[writable]` endpoint, PDA `[b"endpoint"]` (created)
//! 3. `[]` system program
//!
//! Runs once: a second call finds the account and fails
//! (`AccountAlreadyInitialized`). Whoever calls it first becomes admin, so a
//! deployment initializes right after deploying, and checks the admin it
//! reads back before handing out the program id.

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_payer, require_signer, require_system_program, NewAccount,
};
use crate::endpoint::validate_verifier_set;
use crate::error::LoanbridgeError;
use crate::instruction::InitializeEndpointArgs;
use crate::pda;
use crate::state::endpoint::MAX_VERIFIERS;
use crate::state::{init, Endpoint, Header, Layout, U32, U64};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    args: InitializeEndpointArgs,
) -> ProgramResult {
    let [payer, admin, endpoint, system_program] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_signer(admin)?;
    require_system_program(system_program)?;
    if args.local_eid == 0 {
        return Err(LoanbridgeError::InvalidEid.into());
    }
    validate_verifier_set(args.threshold, args.verifiers)?;
    let bump = pda::check_canonical(endpoint, &[pda::ENDPOINT], program_id)?;
    if !is_uninitialized(endpoint) {
        return Err(LoanbridgeError::AccountAlreadyInitialized.into());
    }
    let (vault, vault_bump) = pda::find(&[pda::VAULT], program_id)?;
    let (pool, pool_bump) = pda::find(&[pda::POOL], program_id)?;

    let mut verifiers = [[0u8; 32]; MAX_VERIFIERS];
    verifiers[..args.verifiers.len()].copy_from_slice(args.verifiers);
    let state = Endpoint {
        header: Header::new(Endpoint::DISCRIMINATOR, bump),
        paused: 0,
        local_eid: U32::new(args.local_eid),
        epoch: U64::new(1),
        admin: admin.address().to_bytes(),
        pending_admin: [0; 32],
        guardian: args.guardian,
        vault: vault.to_bytes(),
        pool: pool.to_bytes(),
        vault_bump,
        pool_bump,
        threshold: args.threshold,
        verifier_count: args.verifiers.len() as u8,
        verifiers,
    };

    let bump_seed = [bump];
    let seeds = [Seed::from(pda::ENDPOINT), Seed::from(&bump_seed)];
    create_pda(&NewAccount {
        payer,
        account: endpoint,
        space: Endpoint::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    init(endpoint, &state)
}
