//! The endpoint's small admin instructions: `SetGuardian`, `Pause`,
//! `Unpause`, `TransferAdmin`, `AcceptAdmin`. Each takes the same two
//! accounts:
//!
//! 0. `[signer]` authority: the admin (`Pause`: admin or guardian;
//!    `AcceptAdmin`: the pending admin)
//! 1. `[writable]` endpoint, PDA `[b"endpoint"]`

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::require_signer;
use crate::endpoint::{load_endpoint, require_admin};
use crate::error::LoanbridgeError;
use crate::state::{load_mut, Endpoint};

fn two_accounts(
    accounts: &mut [AccountView],
) -> Result<(&mut AccountView, &mut AccountView), ProgramError> {
    let [authority, endpoint] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    Ok((authority, endpoint))
}

/// `SetGuardian`: the account that may pause besides the admin (zero: none).
pub fn set_guardian(
    program_id: &Address,
    accounts: &mut [AccountView],
    guardian: [u8; 32],
) -> ProgramResult {
    let (admin, endpoint) = two_accounts(accounts)?;
    require_admin(&*load_endpoint(endpoint, program_id)?, admin)?;
    load_mut::<Endpoint>(endpoint, program_id)?.guardian = guardian;
    Ok(())
}

/// `Pause` (admin or guardian): stops deliveries. Sending goes on
/// (`crate::endpoint::send`), so no pause runs out a borrower's clock.
pub fn pause(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let (authority, endpoint) = two_accounts(accounts)?;
    require_signer(authority)?;
    {
        let state = load_endpoint(endpoint, program_id)?;
        let signer = authority.address().as_array();
        let is_guardian = state.guardian != [0; 32] && signer == &state.guardian;
        if signer != &state.admin && !is_guardian {
            return Err(LoanbridgeError::NotGuardian.into());
        }
        if state.is_paused() {
            return Err(LoanbridgeError::EndpointPaused.into());
        }
    }
    load_mut::<Endpoint>(endpoint, program_id)?.paused = 1;
    Ok(())
}

/// `Unpause` (admin only).
pub fn unpause(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let (admin, endpoint) = two_accounts(accounts)?;
    {
        let state = load_endpoint(endpoint, program_id)?;
        require_admin(&state, admin)?;
        if !state.is_paused() {
            return Err(LoanbridgeError::EndpointNotPaused.into());
        }
    }
    load_mut::<Endpoint>(endpoint, program_id)?.paused = 0;
    Ok(())
}

/// `TransferAdmin`: proposes a new admin, who must accept (zero cancels).
pub fn transfer_admin(
    program_id: &Address,
    accounts: &mut [AccountView],
    new_admin: [u8; 32],
) -> ProgramResult {
    let (admin, endpoint) = two_accounts(accounts)?;
    require_admin(&*load_endpoint(endpoint, program_id)?, admin)?;
    load_mut::<Endpoint>(endpoint, program_id)?.pending_admin = new_admin;
    Ok(())
}

/// `AcceptAdmin`: the pending admin takes over.
pub fn accept_admin(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let (pending, endpoint) = two_accounts(accounts)?;
    require_signer(pending)?;
    {
        let state = load_endpoint(endpoint, program_id)?;
        if state.pending_admin == [0; 32] || pending.address().as_array() != &state.pending_admin {
            return Err(LoanbridgeError::NotPendingAdmin.into());
        }
    }
    let mut state = load_mut::<Endpoint>(endpoint, program_id)?;
    state.admin = state.pending_admin;
    state.pending_admin = [0; 32];
    Ok(())
}
