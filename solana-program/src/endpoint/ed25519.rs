//! Verifying attestations through the Ed25519 precompile.
//!
//! Solana programs cannot afford to verify ed25519 signatures themselves;
//! the transaction carries an instruction for the Ed25519 precompile
//! (`Ed25519SigVerify111…`) right before `Deliver`, which the runtime
//! executes — failing the whole transaction on any bad signature — before
//! any program runs. `Deliver` then reads that instruction through the
//! instructions sysvar and checks that what was verified is what it needs:
//!
//! - every signature, public key and message lives in the precompile
//!   instruction itself (instruction index `u16::MAX`): an offset into
//!   another instruction would let the signed bytes differ from the bytes
//!   checked here;
//! - every offset is in bounds of that instruction's data;
//! - every message is the 32-byte attestation digest of this packet;
//! - every public key is in the current verifier set, at most once;
//! - there are at least `threshold` of them.
//!
//! Data layout (the precompile's): `num_signatures: u8`, one padding byte,
//! then per signature seven `u16` LE — signature offset, signature
//! instruction index, public key offset, public key instruction index,
//! message offset, message size, message instruction index.

use pinocchio::Address;

use crate::error::LoanbridgeError;

/// `Ed25519SigVerify111111111111111111111111111`.
pub const ED25519_PROGRAM_ID: Address =
    Address::from_str_const("Ed25519SigVerify111111111111111111111111111");

/// "This instruction" in the precompile's instruction-index fields.
pub const SAME_INSTRUCTION: u16 = u16::MAX;

const HEADER_LEN: usize = 2;
const OFFSETS_LEN: usize = 14;
const SIGNATURE_LEN: usize = 64;
const PUBKEY_LEN: usize = 32;
const DIGEST_LEN: usize = 32;

/// One signature's offsets, as the precompile reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Offsets {
    signature: u16,
    signature_instruction: u16,
    pubkey: u16,
    pubkey_instruction: u16,
    message: u16,
    message_size: u16,
    message_instruction: u16,
}

fn read_offsets(bytes: &[u8; OFFSETS_LEN]) -> Offsets {
    let at = |i: usize| u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]);
    Offsets {
        signature: at(0),
        signature_instruction: at(1),
        pubkey: at(2),
        pubkey_instruction: at(3),
        message: at(4),
        message_size: at(5),
        message_instruction: at(6),
    }
}

/// `len` bytes of `data` at `offset`, or `InvalidEd25519Instruction`.
fn slice(data: &[u8], offset: u16, len: usize) -> Result<&[u8], LoanbridgeError> {
    let start = offset as usize;
    data.get(start..start + len)
        .ok_or(LoanbridgeError::InvalidEd25519Instruction)
}

/// The keys whose signatures count, and how many must sign.
#[derive(Clone, Copy, Debug)]
pub struct VerifierSet<'a> {
    pub verifiers: &'a [[u8; 32]],
    pub threshold: u8,
}

/// Checks the precompile instruction's data against `digest` and the
/// verifier set; returns how many distinct verifiers signed. See the module
/// docs for the rules.
pub fn verify_attestations(
    data: &[u8],
    digest: &[u8; 32],
    set: &VerifierSet,
) -> Result<u32, LoanbridgeError> {
    let VerifierSet {
        verifiers,
        threshold,
    } = *set;
    let (header, rest) = data
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(LoanbridgeError::InvalidEd25519Instruction)?;
    let count = header[0] as usize;
    let table = rest
        .get(..count * OFFSETS_LEN)
        .ok_or(LoanbridgeError::InvalidEd25519Instruction)?;
    let (entries, _) = table.as_chunks::<OFFSETS_LEN>();
    // Verifier sets hold at most 16 keys: one bit each.
    let mut signed: u32 = 0;
    for entry in entries {
        let offsets = read_offsets(entry);
        if offsets.signature_instruction != SAME_INSTRUCTION
            || offsets.pubkey_instruction != SAME_INSTRUCTION
            || offsets.message_instruction != SAME_INSTRUCTION
        {
            return Err(LoanbridgeError::Ed25519OffsetsNotInSameInstruction);
        }
        slice(data, offsets.signature, SIGNATURE_LEN)?;
        let pubkey = slice(data, offsets.pubkey, PUBKEY_LEN)?;
        let message = slice(data, offsets.message, offsets.message_size as usize)?;
        if message.len() != DIGEST_LEN || message != digest {
            return Err(LoanbridgeError::WrongAttestedMessage);
        }
        let index = verifiers
            .iter()
            .position(|verifier| verifier.as_slice() == pubkey)
            .ok_or(LoanbridgeError::SignerNotVerifier)?;
        let bit = 1u32 << (index as u32 & 31);
        if signed & bit != 0 {
            return Err(LoanbridgeError::DuplicateSigner);
        }
        signed |= bit;
    }
    let signers = signed.count_ones();
    if signers < threshold as u32 {
        return Err(LoanbridgeError::BelowThreshold);
    }
    Ok(signers)
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Precompile data for `pubkeys` each "signing" `message` (the
    /// signatures are filler: the runtime, not this module, checks them).
    pub fn precompile_data(pubkeys: &[[u8; 32]], message: &[u8]) -> Vec<u8> {
        let n = pubkeys.len();
        let mut data = Vec::from([n as u8, 0]);
        let body_start = HEADER_LEN + n * OFFSETS_LEN;
        let message_offset = body_start + n * (SIGNATURE_LEN + PUBKEY_LEN);
        for i in 0..n {
            let signature = body_start + i * (SIGNATURE_LEN + PUBKEY_LEN);
            let pubkey = signature + SIGNATURE_LEN;
            for value in [
                signature,
                u16::MAX as usize,
                pubkey,
                u16::MAX as usize,
                message_offset,
                message.len(),
                u16::MAX as usize,
            ] {
                data.extend_from_slice(&(value as u16).to_le_bytes());
            }
        }
        for pubkey in pubkeys {
            data.extend_from_slice(&[0xee; SIGNATURE_LEN]);
            data.extend_from_slice(pubkey);
        }
        data.extend_from_slice(message);
        data
    }

    const DIGEST: [u8; 32] = [0xd1; 32];
    const SET: [[u8; 32]; 3] = [[1; 32], [2; 32], [3; 32]];

    fn set(threshold: u8) -> VerifierSet<'static> {
        VerifierSet {
            verifiers: &SET,
            threshold,
        }
    }

    /// Sets field `field` (0..7) of signature `i`'s offsets.
    fn set_offset(data: &mut [u8], i: usize, field: usize, value: u16) {
        let at = HEADER_LEN + i * OFFSETS_LEN + 2 * field;
        data[at..at + 2].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn accepts_threshold_signers_of_the_digest() {
        let data = precompile_data(&[SET[0], SET[2]], &DIGEST);
        assert_eq!(verify_attestations(&data, &DIGEST, &set(2)), Ok(2));
        assert_eq!(verify_attestations(&data, &DIGEST, &set(1)), Ok(2));
    }

    #[test]
    fn rejects_below_threshold() {
        let data = precompile_data(&[SET[1]], &DIGEST);
        assert_eq!(
            verify_attestations(&data, &DIGEST, &set(2)),
            Err(LoanbridgeError::BelowThreshold)
        );
        let none = precompile_data(&[], &DIGEST);
        assert_eq!(
            verify_attestations(&none, &DIGEST, &set(1)),
            Err(LoanbridgeError::BelowThreshold)
        );
    }

    #[test]
    fn rejects_a_duplicate_signer() {
        let data = precompile_data(&[SET[0], SET[0]], &DIGEST);
        assert_eq!(
            verify_attestations(&data, &DIGEST, &set(2)),
            Err(LoanbridgeError::DuplicateSigner)
        );
    }

    #[test]
    fn rejects_a_key_outside_the_set() {
        let data = precompile_data(&[SET[0], [9; 32]], &DIGEST);
        assert_eq!(
            verify_attestations(&data, &DIGEST, &set(1)),
            Err(LoanbridgeError::SignerNotVerifier)
        );
    }

    #[test]
    fn rejects_another_message() {
        let data = precompile_data(&[SET[0], SET[1]], &[0xd2; 32]);
        assert_eq!(
            verify_attestations(&data, &DIGEST, &set(2)),
            Err(LoanbridgeError::WrongAttestedMessage)
        );
        // The digest as the first 32 bytes of a longer message.
        let mut longer = Vec::from(DIGEST);
        longer.push(0);
        let data = precompile_data(&[SET[0]], &longer);
        assert_eq!(
            verify_attestations(&data, &DIGEST, &set(1)),
            Err(LoanbridgeError::WrongAttestedMessage)
        );
    }

    #[test]
    fn rejects_offsets_into_another_instruction() {
        for field in [1, 3, 6] {
            for index in [0u16, 1, 2, 0xfffe] {
                let mut data = precompile_data(&[SET[0], SET[1]], &DIGEST);
                set_offset(&mut data, 1, field, index);
                assert_eq!(
                    verify_attestations(&data, &DIGEST, &set(2)),
                    Err(LoanbridgeError::Ed25519OffsetsNotInSameInstruction),
                    "field {field} index {index}"
                );
            }
        }
    }

    #[test]
    fn rejects_out_of_bounds_offsets() {
        let base = precompile_data(&[SET[0]], &DIGEST);
        let len = base.len() as u16;
        for (field, value) in [(0, len - 63), (2, len - 31), (4, len - 31), (0, u16::MAX)] {
            let mut data = base.clone();
            set_offset(&mut data, 0, field, value);
            assert_eq!(
                verify_attestations(&data, &DIGEST, &set(1)),
                Err(LoanbridgeError::InvalidEd25519Instruction),
                "field {field} = {value}"
            );
        }
    }

    #[test]
    fn rejects_a_count_larger_than_the_offsets_table() {
        let mut data = precompile_data(&[SET[0]], &DIGEST);
        data[0] = 200;
        assert_eq!(
            verify_attestations(&data, &DIGEST, &set(1)),
            Err(LoanbridgeError::InvalidEd25519Instruction)
        );
        assert_eq!(
            verify_attestations(&[], &DIGEST, &set(1)),
            Err(LoanbridgeError::InvalidEd25519Instruction)
        );
    }

    #[test]
    fn fuzz_random_data_never_panics() {
        let mut state = 0x0bad_cafe_f00d_d00du64;
        let valid = precompile_data(&[SET[0], SET[1]], &DIGEST);
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut data = valid.clone();
            // Flip a few bytes anywhere, or truncate.
            for k in 0..3 {
                let at = ((state >> (k * 16)) as usize) % data.len();
                data[at] = (state >> (k * 8 + 3)) as u8;
            }
            let cut = (state % (data.len() as u64 + 1)) as usize;
            let _ = verify_attestations(&data[..cut], &DIGEST, &set(2));
            let _ = verify_attestations(&data, &DIGEST, &set(2));
        }
    }
}
