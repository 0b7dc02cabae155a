//! Addresses as `bytes32`: a Solana public key as is, an EVM address
//! left-padded with 12 zero bytes.

use super::WireError;

/// Reads a `bytes32` as a 20-byte EVM address.
///
/// The upper 12 bytes must be zero: anything else is not an EVM address, and
/// truncating it would let two different `bytes32` name the same account.
pub fn evm_address(bytes32: &[u8; 32]) -> Result<[u8; 20], WireError> {
    let (padding, address) = bytes32.split_at(12);
    if padding.iter().any(|&byte| byte != 0) {
        return Err(WireError::NotAnEvmAddress);
    }
    let mut out = [0u8; 20];
    out.copy_from_slice(address);
    Ok(out)
}

/// Writes a 20-byte EVM address as a `bytes32` (left-padded with zeros), the
/// inverse of [`evm_address`].
pub fn evm_address_to_bytes32(address: &[u8; 20]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[12..].copy_from_slice(address);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let address = [0xab; 20];
        let bytes32 = evm_address_to_bytes32(&address);
        assert_eq!(&bytes32[..12], &[0u8; 12]);
        assert_eq!(evm_address(&bytes32), Ok(address));
    }

    #[test]
    fn zero_is_an_address() {
        assert_eq!(evm_address(&[0u8; 32]), Ok([0u8; 20]));
    }

    #[test]
    fn any_nonzero_padding_byte_is_rejected() {
        for index in 0..12 {
            let mut bytes32 = evm_address_to_bytes32(&[0x11; 20]);
            bytes32[index] = 1;
            assert_eq!(evm_address(&bytes32), Err(WireError::NotAnEvmAddress));
        }
    }
}
