//! The attestation digest: what a relayer signs and the destination
//! endpoint verifies.

use super::keccak::keccak256;
use super::packet::HEADER_LEN;

/// `keccak256("loanbridge:attestation:v1")`, hard-coded so the program does
/// not hash a constant on every verification (a unit test recomputes it).
/// It separates our signatures from any other use of the relayers' keys.
pub const ATTESTATION_DOMAIN: [u8; 32] = [
    0x4a, 0x22, 0x99, 0x7c, 0x66, 0x1c, 0x9c, 0x82, 0x89, 0x5c, 0x5a, 0x0e, 0x40, 0x48, 0x57, 0x99,
    0xfc, 0x6f, 0x0a, 0x85, 0x36, 0xb3, 0x32, 0x9e, 0x2f, 0xeb, 0x6b, 0xd7, 0x73, 0x7b, 0xf0, 0x09,
];

/// The ASCII tag [`ATTESTATION_DOMAIN`] is the hash of.
pub const ATTESTATION_DOMAIN_TAG: &[u8] = b"loanbridge:attestation:v1";

/// `keccak256(ATTESTATION_DOMAIN ‖ epoch ‖ header ‖ payloadHash)`, the
/// 153-byte preimage of the spec.
///
/// `epoch` is the destination's verifier-set epoch, so rotating the set voids
/// signatures made for the old one. The digest is signed as is: no EIP-191
/// prefix, no further hashing.
pub fn attestation_digest(
    epoch: u64,
    header: &[u8; HEADER_LEN],
    payload_hash: &[u8; 32],
) -> [u8; 32] {
    keccak256(&[
        &ATTESTATION_DOMAIN,
        &epoch.to_be_bytes(),
        header,
        payload_hash,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_is_the_hash_of_its_tag() {
        assert_eq!(ATTESTATION_DOMAIN_TAG.len(), 25);
        assert_eq!(keccak256(&[ATTESTATION_DOMAIN_TAG]), ATTESTATION_DOMAIN);
    }

    #[test]
    fn digest_hashes_the_153_byte_preimage() {
        let mut header = [0u8; HEADER_LEN];
        for (i, byte) in header.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let payload_hash = [0x5a; 32];
        let epoch: u64 = 0x0102_0304_0506_0708;

        let mut preimage = [0u8; 153];
        preimage[..32].copy_from_slice(&ATTESTATION_DOMAIN);
        preimage[32..40].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        preimage[40..121].copy_from_slice(&header);
        preimage[121..].copy_from_slice(&payload_hash);

        assert_eq!(
            attestation_digest(epoch, &header, &payload_hash),
            keccak256(&[&preimage])
        );
    }

    #[test]
    fn epoch_changes_the_digest() {
        let header = [0u8; HEADER_LEN];
        let payload_hash = [0u8; 32];
        assert_ne!(
            attestation_digest(1, &header, &payload_hash),
            attestation_digest(2, &header, &payload_hash)
        );
    }
}
