use crate::error::LoanbridgeError;

/// Instructions, selected by the first byte of the instruction data.
///
/// The discriminant values are part of the wire format: never reuse one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanbridgeInstruction {
    /// Logs the program version and sets it as return data.
    ///
    /// Accounts: none.
    Version,
}

impl LoanbridgeInstruction {
    pub const VERSION: u8 = 0;

    /// Decodes instruction data, rejecting unknown discriminators and
    /// trailing bytes.
    pub fn unpack(data: &[u8]) -> Result<Self, LoanbridgeError> {
        let (&discriminator, rest) = data
            .split_first()
            .ok_or(LoanbridgeError::UnknownInstruction)?;
        match discriminator {
            Self::VERSION if rest.is_empty() => Ok(Self::Version),
            Self::VERSION => Err(LoanbridgeError::InvalidInstructionData),
            _ => Err(LoanbridgeError::UnknownInstruction),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpack_decodes_version() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[0]),
            Ok(LoanbridgeInstruction::Version)
        );
    }

    #[test]
    fn unpack_rejects_empty_data() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[]),
            Err(LoanbridgeError::UnknownInstruction)
        );
    }

    #[test]
    fn unpack_rejects_unknown_discriminator() {
        for discriminator in 1..=u8::MAX {
            assert_eq!(
                LoanbridgeInstruction::unpack(&[discriminator]),
                Err(LoanbridgeError::UnknownInstruction)
            );
        }
    }

    #[test]
    fn unpack_rejects_trailing_bytes() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[0, 0]),
            Err(LoanbridgeError::InvalidInstructionData)
        );
    }
}
