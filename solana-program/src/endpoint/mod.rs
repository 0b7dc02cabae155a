//! The endpoint: verifier set, peers, sending and delivering packets.
//!
//! # Differences from the EVM endpoint
//!
//! - **Atomic delivery.** The EVM endpoint records a failing app call
//!   (`PacketFailed`) and lets anyone `retry` it, so one bad packet cannot
//!   block an ordered channel. On Solana a handler error aborts the whole
//!   `Deliver` transaction: nothing is recorded, the nonce's delivered bit
//!   is not set, and the packet can be delivered again once whatever made
//!   it fail has changed (a missing token account created, a price set).
//!   Nonces are not ordered on delivery, so a failing packet never blocks the
//!   packets after it, and relayers simulate before sending.
//! - **Signatures** are ed25519, verified by the Ed25519 precompile
//!   instruction placed right before `Deliver` ([`ed25519`]); the endpoint
//!   reads it through the instructions sysvar ([`sysvar`]), whose address it
//!   checks.
//! - **Replay protection** is a bitmap of delivered nonces per path, as on
//!   the EVM endpoint: a `DeliveredNonces` account, PDA `[b"delivered",
//!   receiver, srcEid, sender, nonce / 1024]`, holds one bit for each of
//!   1,024 nonces, and a second delivery of a (path, nonce) finds its bit set
//!   and fails (`AlreadyDelivered`). The guid is a hash of the header the
//!   packet carries (checked on parse), so a nonce delivered once is its guid
//!   delivered once. The first delivery of a range creates its account, at
//!   the canonical bump the program computes itself ([`crate::pda::find`]:
//!   no bump comes from the caller, so a range can never get a second
//!   account at another bump); every later delivery finds the account by the
//!   bump it stored (one sha256, no search) and sets a bit. An account at
//!   any other address fails `InvalidPda`. A search costs about 370 CU a try
//!   (sha256 and `sol_curve_validate_point`), not `find_program_address`'s
//!   1,500, and is paid once per 1,024 deliveries of a path, as is the
//!   account's rent.
//! - **Sent packets** are an account per packet, PDA `[b"packet", app,
//!   dst_eid, nonce]`, holding the packet's bytes, keccak256 and guid: relayers
//!   walk nonces per (app, dst_eid) in state. The bytes are also logged
//!   (`sol_log_data`) as a hint, never as the only copy: whoever builds a
//!   transaction can fill its 10 kB log budget first and truncate them.
//! - **Rent comes back** from sent packets only
//!   ([`crate::processor`]'s `ClosePacket`): a packet account records its
//!   payer and send time, and anyone may close it to that payer once its
//!   loan is final here and it is `MIN_PACKET_AGE_SECONDS` (30 days) old,
//!   far longer than any relayer may lag. Closing raises the path's
//!   `close_horizon` in the nonce account, so a relayer tells a closed packet
//!   (gone at or below it) from a hidden one (gone above it). Delivered-nonces
//!   accounts are never closed: they are the replay guard.

pub mod ed25519;
pub mod send;
pub mod sysvar;

use pinocchio::account::Ref;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address};

use crate::error::LoanbridgeError;
use crate::pda;
use crate::state::endpoint::MAX_VERIFIERS;
use crate::state::{load, Endpoint};

/// Checks a verifier set: 1..=16 keys, strictly ascending (so distinct), none
/// all zero, and a threshold in 1..=n.
pub fn validate_verifier_set(threshold: u8, verifiers: &[[u8; 32]]) -> Result<(), LoanbridgeError> {
    if verifiers.is_empty()
        || verifiers.len() > MAX_VERIFIERS
        || threshold == 0
        || threshold as usize > verifiers.len()
    {
        return Err(LoanbridgeError::InvalidVerifierSet);
    }
    let mut previous = [0u8; 32];
    for verifier in verifiers {
        // Ascending from zero also rules out an all-zero key.
        if *verifier <= previous {
            return Err(LoanbridgeError::VerifiersNotAscending);
        }
        previous = *verifier;
    }
    Ok(())
}

/// Loads the endpoint state: owner, layout, and its PDA `[b"endpoint"]`.
pub fn load_endpoint<'a>(
    account: &'a AccountView,
    program_id: &Address,
) -> Result<Ref<'a, Endpoint>, ProgramError> {
    let endpoint = load::<Endpoint>(account, program_id)?;
    pda::check(account, &[pda::ENDPOINT], endpoint.header.bump, program_id)?;
    Ok(endpoint)
}

/// Checks that `signer` signed and is the endpoint's admin.
pub fn require_admin(endpoint: &Endpoint, signer: &AccountView) -> Result<(), ProgramError> {
    crate::accounts::require_signer(signer)?;
    if signer.address().as_array() != &endpoint.admin {
        return Err(LoanbridgeError::Unauthorized.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_an_ascending_set_and_a_threshold_within_it() {
        assert_eq!(validate_verifier_set(1, &[[1; 32]]), Ok(()));
        assert_eq!(
            validate_verifier_set(2, &[[1; 32], [2; 32], [3; 32]]),
            Ok(())
        );
        let sixteen: [[u8; 32]; 16] = core::array::from_fn(|i| [i as u8 + 1; 32]);
        assert_eq!(validate_verifier_set(16, &sixteen), Ok(()));
    }

    #[test]
    fn rejects_empty_oversized_sets_and_bad_thresholds() {
        assert_eq!(
            validate_verifier_set(1, &[]),
            Err(LoanbridgeError::InvalidVerifierSet)
        );
        let seventeen: [[u8; 32]; 17] = core::array::from_fn(|i| [i as u8 + 1; 32]);
        assert_eq!(
            validate_verifier_set(1, &seventeen),
            Err(LoanbridgeError::InvalidVerifierSet)
        );
        assert_eq!(
            validate_verifier_set(0, &[[1; 32]]),
            Err(LoanbridgeError::InvalidVerifierSet)
        );
        assert_eq!(
            validate_verifier_set(2, &[[1; 32]]),
            Err(LoanbridgeError::InvalidVerifierSet)
        );
    }

    #[test]
    fn rejects_unsorted_duplicate_and_zero_keys() {
        assert_eq!(
            validate_verifier_set(1, &[[2; 32], [1; 32]]),
            Err(LoanbridgeError::VerifiersNotAscending)
        );
        assert_eq!(
            validate_verifier_set(1, &[[1; 32], [1; 32]]),
            Err(LoanbridgeError::VerifiersNotAscending)
        );
        assert_eq!(
            validate_verifier_set(1, &[[0; 32]]),
            Err(LoanbridgeError::VerifiersNotAscending)
        );
        let mut high_first = [0u8; 32];
        high_first[0] = 2;
        let mut low_last = [0xff; 32];
        low_last[0] = 1;
        // Ordered by bytes from the first: [2, 0, …] > [1, ff, …].
        assert_eq!(
            validate_verifier_set(1, &[high_first, low_last]),
            Err(LoanbridgeError::VerifiersNotAscending)
        );
        assert_eq!(validate_verifier_set(1, &[low_last, high_first]), Ok(()));
    }
}
