//! Program-derived addresses: the seeds of every account the program owns
//! or signs for, and the two ways to check an address.
//!
//! - [`check`] re-derives an address from its seeds and the bump stored in
//!   the account (one `sol_sha256`, no curve check): for accounts the program
//!   created at the canonical address, whose stored bump is canonical.
//! - [`find`] searches the canonical bump (`sol_try_find_program_address`):
//!   for accounts about to be created, whose address must be unique — the
//!   delivered guid, a loan id, a packet nonce — so no other bump can create a
//!   second account for the same key.

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address};

use crate::error::LoanbridgeError;

pub const ENDPOINT: &[u8] = b"endpoint";
pub const PEER: &[u8] = b"peer";
pub const NONCE: &[u8] = b"nonce";
pub const PACKET: &[u8] = b"packet";
pub const DELIVERED: &[u8] = b"delivered";
pub const VAULT: &[u8] = b"vault";
pub const VAULT_LOAN: &[u8] = b"vault_loan";
pub const ASSET: &[u8] = b"asset";
pub const CUSTODY: &[u8] = b"custody";
pub const POOL: &[u8] = b"pool";
pub const POOL_LOAN: &[u8] = b"pool_loan";
pub const SHARES: &[u8] = b"shares";
pub const LIQUIDITY: &[u8] = b"liquidity";
pub const COLLATERAL: &[u8] = b"collateral";
pub const PRICE: &[u8] = b"price";
pub const BENEFICIARY: &[u8] = b"beneficiary";

/// The address `seeds` and `bump` derive under `program_id`.
pub fn derive<const N: usize>(
    seeds: &[&[u8]; N],
    bump: u8,
    program_id: &Address,
) -> Result<Address, ProgramError> {
    Address::try_derive_address(seeds, Some(bump), program_id)
        .map_err(|_| ProgramError::InvalidSeeds)
}

/// [`derive`] for a slice of one to four seeds.
pub fn derive_slice(
    seeds: &[&[u8]],
    bump: u8,
    program_id: &Address,
) -> Result<Address, ProgramError> {
    match *seeds {
        [a] => derive(&[a], bump, program_id),
        [a, b] => derive(&[a, b], bump, program_id),
        [a, b, c] => derive(&[a, b, c], bump, program_id),
        [a, b, c, d] => derive(&[a, b, c, d], bump, program_id),
        _ => Err(ProgramError::InvalidSeeds),
    }
}

/// Checks that `account` is at the address `seeds` and `bump` derive.
pub fn check<const N: usize>(
    account: &AccountView,
    seeds: &[&[u8]; N],
    bump: u8,
    program_id: &Address,
) -> Result<(), ProgramError> {
    if derive(seeds, bump, program_id)? != *account.address() {
        return Err(LoanbridgeError::InvalidPda.into());
    }
    Ok(())
}

/// The canonical address and bump of `seeds`.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
pub fn find(seeds: &[&[u8]], program_id: &Address) -> Result<(Address, u8), ProgramError> {
    Address::try_find_program_address(seeds, program_id).ok_or(ProgramError::InvalidSeeds)
}

/// The canonical address and bump of `seeds` (host build: processors only
/// run on SBF, so this is never called by the host tests).
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
pub fn find(seeds: &[&[u8]], program_id: &Address) -> Result<(Address, u8), ProgramError> {
    let _ = (seeds, program_id);
    Err(ProgramError::InvalidSeeds)
}

/// Checks that `account` is at the canonical address of `seeds`; returns the
/// bump.
pub fn check_canonical(
    account: &AccountView,
    seeds: &[&[u8]],
    program_id: &Address,
) -> Result<u8, ProgramError> {
    let (address, bump) = find(seeds, program_id)?;
    if address != *account.address() {
        return Err(LoanbridgeError::InvalidPda.into());
    }
    Ok(bump)
}
