//! Program-derived addresses: the seeds of every account the program owns
//! or signs for, and the two ways to check an address.
//!
//! - [`check`] re-derives an address from its seeds and the bump stored in
//!   the account (one `sol_sha256`, no curve check): for accounts the program
//!   created at the canonical address, whose stored bump is canonical.
//! - [`find`] computes the canonical bump: for accounts about to be created
//!   whose address must be unique for their key — a path's range of
//!   delivered nonces, a loan id, a packet nonce — so no other bump can
//!   create a second account for the same key (a second delivered-nonces
//!   account would let a packet be delivered twice; a packet account off its
//!   canonical address would be invisible to relayers, who walk canonical
//!   addresses).
//!
//! # Why `find` is a search, and why it is cheap
//!
//! A bump taken from the caller and checked with one derivation proves
//! nothing about uniqueness: any bump whose address is off the curve is a
//! valid PDA, so a caller could pick a lower one and create a second account
//! for the same key. Proving a caller's bump `b` canonical means showing that
//! every bump above it lands on the curve, which is exactly the work of the
//! search from 255 down to `b`; so the program searches, but not with
//! `sol_try_find_program_address`, which charges `create_program_address`
//! (1,500 CU) per try. Each try here is one `sol_sha256` of the seeds, bump,
//! program id and PDA marker (the same bytes, in the same order, the runtime
//! hashes) and one `sol_curve_validate_point` on Edwards25519 (159 CU), the
//! same decompression test the runtime's `create_program_address` applies
//! (`bytes_are_curve_point`): a try costs about 370 CU, and half of all keys
//! stop at the first (bump 255).
//!
//! Uniqueness rests on the search being a function of the seeds alone: the
//! caller supplies no bump, so one key always gets one address, and any
//! other account passed in its place fails [`check_canonical`]. Agreeing with
//! `find_program_address` bump for bump is what lets clients compute the same
//! address; were the curve check ever to call an on-curve address off-curve,
//! the runtime, which re-derives the address when the program signs its
//! creation (`invoke_signed`), would refuse to create it.
//!
//! Accounts found once keep their bump ([`crate::state::Header::bump`]), and
//! every later instruction uses [`check`].

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

/// [`derive`] for a slice of one to five seeds.
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
        [a, b, c, d, e] => derive(&[a, b, c, d, e], bump, program_id),
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

/// Most seeds [`find`] takes (the program's longest list, a delivered-nonces
/// account's, has five).
const MAX_FIND_SEEDS: usize = 5;

/// The canonical address and bump of `seeds`: the highest bump whose
/// address is off the Edwards25519 curve (see the module doc).
///
/// The slices hashed are laid out once; each try swaps in its bump byte, so
/// a try is the two syscalls and little else.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
pub fn find(seeds: &[&[u8]], program_id: &Address) -> Result<(Address, u8), ProgramError> {
    /// Every bump, highest first: a try's bump seed is a one-byte slice of it.
    static BUMPS: [u8; 256] = {
        let mut bumps = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            bumps[i] = (255 - i) as u8;
            i += 1;
        }
        bumps
    };
    const MARKER: &[u8] = b"ProgramDerivedAddress";
    const MAX_SEED_LEN: usize = 32;
    extern "C" {
        fn sol_sha256(vals: *const u8, val_len: u64, hash_result: *mut u8) -> u64;
    }
    let count = seeds.len();
    if count > MAX_FIND_SEEDS || seeds.iter().any(|seed| seed.len() > MAX_SEED_LEN) {
        return Err(ProgramError::InvalidSeeds);
    }
    let mut parts: [&[u8]; MAX_FIND_SEEDS + 3] = [&[]; MAX_FIND_SEEDS + 3];
    parts[..count].copy_from_slice(seeds);
    parts[count + 1] = program_id.as_ref();
    parts[count + 2] = MARKER;
    let parts = &mut parts[..count + 3];
    for bump in BUMPS.chunks_exact(1) {
        parts[count] = bump;
        let mut hash = [0u8; 32];
        // SAFETY: `parts` is a slice of `count + 3` byte slices, the layout
        // `sol_sha256` reads (pointer and length per slice, as Rust lays out
        // `&[u8]` on SBF); it writes exactly 32 bytes to `hash`.
        let status = unsafe {
            sol_sha256(
                parts.as_ptr() as *const u8,
                parts.len() as u64,
                hash.as_mut_ptr(),
            )
        };
        if status != 0 {
            return Err(ProgramError::InvalidSeeds);
        }
        let address = Address::new_from_array(hash);
        if !is_on_curve(&address)? {
            return Ok((address, bump[0]));
        }
    }
    Err(ProgramError::InvalidSeeds)
}

/// Host build: processors only run on SBF, so no host test reaches [`find`];
/// refusing here keeps the host build free of a curve library.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
pub fn find(seeds: &[&[u8]], program_id: &Address) -> Result<(Address, u8), ProgramError> {
    let _ = (seeds, program_id, MAX_FIND_SEEDS);
    Err(ProgramError::InvalidSeeds)
}

/// Whether 32 bytes decompress to an Edwards25519 point (what makes an
/// address unusable as a PDA): `sol_curve_validate_point`, curve id 0.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
fn is_on_curve(address: &Address) -> Result<bool, ProgramError> {
    /// `CURVE25519_EDWARDS` in `solana-curve25519`.
    const CURVE25519_EDWARDS: u64 = 0;
    extern "C" {
        fn sol_curve_validate_point(curve_id: u64, point_addr: *const u8, result: *mut u8) -> u64;
    }
    let mut unused = 0u8;
    // SAFETY: the syscall reads 32 bytes at `point_addr` (an `Address` is
    // 32 bytes) and writes nothing we read; it returns 0 for a point on the
    // curve, 1 for bytes that are not one.
    match unsafe {
        sol_curve_validate_point(CURVE25519_EDWARDS, address.as_array().as_ptr(), &mut unused)
    } {
        0 => Ok(true),
        1 => Ok(false),
        _ => Err(ProgramError::InvalidSeeds),
    }
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
