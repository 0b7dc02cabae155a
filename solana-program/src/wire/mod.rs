//! The loanbridge wire format, version 1: `shared/SPEC.md` implemented
//! byte for byte.
//!
//! Everything here is zero-copy and allocation-free: decoders borrow or copy
//! out of `&[u8]`, encoders return fixed-size arrays or write into a caller's
//! buffer. The TypeScript and Solidity implementations are checked against the
//! same vectors (`shared/vectors/*.json`, see `tests/vectors.rs`).

pub mod address;
pub mod digest;
pub mod keccak;
pub mod message;
pub mod packet;

pub use address::{evm_address, evm_address_to_bytes32};
pub use digest::{attestation_digest, ATTESTATION_DOMAIN};
pub use keccak::keccak256;
pub use message::{
    CollateralSeizure, EncodedMessage, LoanActive, LoanMessage, LoanRejected, MessageType,
    OpenLoan, RejectReason, Repaid, MAX_MESSAGE_LEN, MESSAGE_VERSION,
};
pub use packet::{
    compute_guid, encode_packet, BufferTooSmall, Packet, PacketHeader, HEADER_LEN, MESSAGE_OFFSET,
    PACKET_VERSION,
};

use pinocchio::error::ProgramError;

/// A decoding error of the wire format.
///
/// The variants are the spec's error names; [`WireError::name`] returns them
/// as written there, which is what the shared vectors compare against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// A packet shorter than its 113-byte header and guid.
    PacketTooShort,
    /// A packet whose version byte is not 1.
    UnsupportedPacketVersion,
    /// A packet whose guid is not the keccak256 of its header fields.
    GuidMismatch,
    /// A message shorter than two bytes or than its type's length.
    MessageTooShort,
    /// A message longer than its type's length.
    MessageTooLong,
    /// A message whose version byte is not 1.
    UnsupportedMessageVersion,
    /// A message whose type byte is not 1–6.
    UnknownMessageType,
    /// A `LOAN_REJECTED` message whose reason is not 1–7.
    UnknownRejectReason,
    /// A `bytes32` read as an EVM address whose upper 12 bytes are not zero.
    NotAnEvmAddress,
}

impl WireError {
    /// Every variant, in code order.
    pub const ALL: [WireError; 9] = [
        WireError::PacketTooShort,
        WireError::UnsupportedPacketVersion,
        WireError::GuidMismatch,
        WireError::MessageTooShort,
        WireError::MessageTooLong,
        WireError::UnsupportedMessageVersion,
        WireError::UnknownMessageType,
        WireError::UnknownRejectReason,
        WireError::NotAnEvmAddress,
    ];

    /// The error's name exactly as `shared/SPEC.md` writes it.
    pub const fn name(&self) -> &'static str {
        match self {
            WireError::PacketTooShort => "PacketTooShort",
            WireError::UnsupportedPacketVersion => "UnsupportedPacketVersion",
            WireError::GuidMismatch => "GuidMismatch",
            WireError::MessageTooShort => "MessageTooShort",
            WireError::MessageTooLong => "MessageTooLong",
            WireError::UnsupportedMessageVersion => "UnsupportedMessageVersion",
            WireError::UnknownMessageType => "UnknownMessageType",
            WireError::UnknownRejectReason => "UnknownRejectReason",
            WireError::NotAnEvmAddress => "NotAnEvmAddress",
        }
    }

    /// The program's custom error code for this error.
    ///
    /// Codes 100+ are wire errors; `LoanbridgeError` owns the codes below
    /// 100. Clients see only the number, so these are fixed forever: a new
    /// wire error takes the next free code, a removed one leaves a hole.
    pub const fn code(&self) -> u32 {
        match self {
            WireError::PacketTooShort => 100,
            WireError::UnsupportedPacketVersion => 101,
            WireError::GuidMismatch => 102,
            WireError::MessageTooShort => 103,
            WireError::MessageTooLong => 104,
            WireError::UnsupportedMessageVersion => 105,
            WireError::UnknownMessageType => 106,
            WireError::UnknownRejectReason => 107,
            WireError::NotAnEvmAddress => 108,
        }
    }
}

impl From<WireError> for ProgramError {
    fn from(error: WireError) -> Self {
        ProgramError::Custom(error.code())
    }
}

/// The `N` bytes at offset `AT` of a fixed-size structure.
///
/// The bounds are checked at compile time (the `const` assertion), so a
/// layout typo fails the build instead of panicking in the program, and the
/// slice indexing below compiles to no check at all.
#[inline(always)]
fn field<const AT: usize, const N: usize, const M: usize>(bytes: &[u8; M]) -> &[u8; N] {
    const { assert!(AT + N <= M, "wire field out of bounds") };
    match bytes[AT..AT + N].first_chunk() {
        Some(field) => field,
        None => unreachable!(),
    }
}

/// Writes `value` at offset `AT` of a fixed-size structure, with the same
/// compile-time bounds check as [`field`].
#[inline(always)]
fn put<const AT: usize, const N: usize, const M: usize>(out: &mut [u8; M], value: &[u8; N]) {
    const { assert!(AT + N <= M, "wire field out of bounds") };
    out[AT..AT + N].copy_from_slice(value);
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::format;

    #[test]
    fn codes_are_fixed() {
        // A changed number here is a breaking change for every client.
        let codes: [u32; 9] = WireError::ALL.map(|error| error.code());
        assert_eq!(codes, [100, 101, 102, 103, 104, 105, 106, 107, 108]);
    }

    #[test]
    fn names_are_the_spec_names() {
        for error in WireError::ALL {
            // The Debug name is the variant's identifier, which the spec names.
            let debug = format!("{error:?}");
            assert_eq!(error.name(), debug);
        }
    }

    #[test]
    fn program_error_is_custom_code() {
        for error in WireError::ALL {
            assert_eq!(
                ProgramError::from(error),
                ProgramError::Custom(error.code())
            );
        }
        assert_eq!(
            ProgramError::from(WireError::GuidMismatch),
            ProgramError::Custom(102)
        );
    }

    #[test]
    fn codes_do_not_collide_with_loanbridge_errors() {
        use crate::error::LoanbridgeError;
        for error in WireError::ALL {
            assert!(error.code() >= 100);
        }
        assert!((LoanbridgeError::InvalidInstructionData as u32) < 100);
    }
}
