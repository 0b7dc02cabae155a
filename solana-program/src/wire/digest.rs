//! The attestation digest: what a relayer signs and the destination
//! endpoint verifies.

use super::keccak::keccak256;
use super::packet::HEADER_LEN;

/// `keccak256("loanbridge:attestation:v2")`, hard-coded so the program does
/// not hash a constant on every verification (a unit test recomputes it).
/// It separates our signatures from any other use of the relayers' keys.
pub const ATTESTATION_DOMAIN: [u8; 32] = [
    0x1a, 0x65, 0x5e, 0xd5, 0xbf, 0x2e, 0xfd, 0x6c, 0xd9, 0xbf, 0xf5, 0x8e, 0x8a, 0x8f, 0x3e, 0x78,
    0xe5, 0xc7, 0xd6, 0xc7, 0x4b, 0xcb, 0x9e, 0xc1, 0xd0, 0xdf, 0xbc, 0xaa, 0xc2, 0x22, 0x56, 0x54,
];

/// The ASCII tag [`ATTESTATION_DOMAIN`] is the hash of.
pub const ATTESTATION_DOMAIN_TAG: &[u8] = b"loanbridge:attestation:v2";

/// `keccak256(ATTESTATION_DOMAIN ‖ endpoint ‖ epoch ‖ header ‖ payloadHash)`,
/// the 185-byte preimage of the spec.
///
/// `endpoint` is the destination endpoint as `bytes32` (on Solana the
/// program id), so a signature is valid on one deployment only, even where
/// two share an eid and app addresses. `epoch` is the destination's
/// verifier-set epoch, so rotating the set voids signatures made for the old
/// one. The digest is signed as is: no EIP-191 prefix, no further hashing.
pub fn attestation_digest(
    endpoint: &[u8; 32],
    epoch: u64,
    header: &[u8; HEADER_LEN],
    payload_hash: &[u8; 32],
) -> [u8; 32] {
    keccak256(&[
        &ATTESTATION_DOMAIN,
        endpoint,
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
        assert_eq!(ATTESTATION_DOMAIN_TAG, b"loanbridge:attestation:v2");
        assert_eq!(keccak256(&[ATTESTATION_DOMAIN_TAG]), ATTESTATION_DOMAIN);
    }

    #[test]
    fn digest_hashes_the_185_byte_preimage() {
        let mut header = [0u8; HEADER_LEN];
        for (i, byte) in header.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let endpoint = [0xe1; 32];
        let payload_hash = [0x5a; 32];
        let epoch: u64 = 0x0102_0304_0506_0708;

        let mut preimage = [0u8; 185];
        preimage[..32].copy_from_slice(&ATTESTATION_DOMAIN);
        preimage[32..64].copy_from_slice(&endpoint);
        preimage[64..72].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        preimage[72..153].copy_from_slice(&header);
        preimage[153..].copy_from_slice(&payload_hash);

        assert_eq!(
            attestation_digest(&endpoint, epoch, &header, &payload_hash),
            keccak256(&[&preimage])
        );
    }

    #[test]
    fn epoch_changes_the_digest() {
        let header = [0u8; HEADER_LEN];
        let payload_hash = [0u8; 32];
        assert_ne!(
            attestation_digest(&[1; 32], 1, &header, &payload_hash),
            attestation_digest(&[1; 32], 2, &header, &payload_hash)
        );
    }

    #[test]
    fn destination_endpoint_changes_the_digest() {
        let header = [0u8; HEADER_LEN];
        let payload_hash = [0u8; 32];
        assert_ne!(
            attestation_digest(&[1; 32], 1, &header, &payload_hash),
            attestation_digest(&[2; 32], 1, &header, &payload_hash)
        );
    }
}
