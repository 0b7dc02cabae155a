//! `SetVerifierSet`: replaces the verifier set and bumps the epoch, which
//! voids every signature made for the old set.
//!
//! Accounts:
//! 0. `[signer]` admin
//! 1. `[writable]` endpoint, PDA `[b"endpoint"]`

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::endpoint::{load_endpoint, require_admin, validate_verifier_set};
use crate::error::LoanbridgeError;
use crate::state::endpoint::MAX_VERIFIERS;
use crate::state::{load_mut, Endpoint};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    &(threshold, verifiers): &(u8, &[[u8; 32]]),
) -> ProgramResult {
    let [admin, endpoint] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let epoch = {
        let state = load_endpoint(endpoint, program_id)?;
        require_admin(&state, admin)?;
        state
            .epoch
            .get()
            .checked_add(1)
            .ok_or(LoanbridgeError::ArithmeticOverflow)?
    };
    validate_verifier_set(threshold, verifiers)?;

    let mut state = load_mut::<Endpoint>(endpoint, program_id)?;
    state.verifiers = [[0u8; 32]; MAX_VERIFIERS];
    state.verifiers[..verifiers.len()].copy_from_slice(verifiers);
    state.verifier_count = verifiers.len() as u8;
    state.threshold = threshold;
    state.epoch.set(epoch);
    Ok(())
}
