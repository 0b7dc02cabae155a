//! Keccak-256 (Ethereum's, not SHA3-256) over a list of byte slices.
//!
//! Taking the parts separately lets callers hash a concatenation (the guid's
//! header fields, the attestation preimage) without copying it into a buffer.

/// Keccak-256 of the concatenation of `parts`.
///
/// On SBF this is the `sol_keccak256` syscall, so the program carries no
/// hasher of its own; on the host (tests, clippy) it is the `sha3` crate.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
pub fn keccak256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = [0u8; 32];
    // SAFETY: the syscall reads `parts.len()` (pointer, length) pairs, which is
    // how a `&[u8]` is laid out on SBF (the same cast solana-program's own
    // `hashv` makes), each pair describing a live slice; it writes exactly 32
    // bytes to `hash`. Its return value is always 0: on a bad pointer the
    // runtime aborts the program instead of returning.
    unsafe {
        pinocchio::syscalls::sol_keccak256(
            parts.as_ptr() as *const u8,
            parts.len() as u64,
            hash.as_mut_ptr(),
        );
    }
    hash
}

/// Keccak-256 of the concatenation of `parts`.
///
/// On SBF this is the `sol_keccak256` syscall, so the program carries no
/// hasher of its own; on the host (tests, clippy) it is the `sha3` crate.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
pub fn keccak256(parts: &[&[u8]]) -> [u8; 32] {
    use sha3::{Digest, Keccak256};

    let mut hasher = Keccak256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_hex(hex: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn empty_input_is_keccak_not_sha3() {
        // Keccak-256("") as Ethereum uses it; SHA3-256("") would be a7ffc6f8...
        assert_eq!(
            keccak256(&[]),
            from_hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        );
        assert_eq!(keccak256(&[b""]), keccak256(&[]));
    }

    #[test]
    fn known_answer() {
        // keccak256("hello"), as ethers' `keccak256(toUtf8Bytes("hello"))`.
        assert_eq!(
            keccak256(&[b"hello"]),
            from_hex("1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8")
        );
    }

    #[test]
    fn parts_hash_as_their_concatenation() {
        assert_eq!(
            keccak256(&[b"he", b"", b"llo"]),
            keccak256(&[b"hello".as_slice()])
        );
    }
}
