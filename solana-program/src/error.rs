use pinocchio::error::ProgramError;

/// Errors the program returns as `ProgramError::Custom(code)`.
///
/// Clients see only the number, so a code never changes meaning once
/// released: add new variants at the end with the next free code. Codes
/// 100–199 are reserved for wire-format errors (`crate::wire::WireError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LoanbridgeError {
    /// The instruction data is empty or names no known instruction.
    UnknownInstruction = 0,
    /// The instruction data has the wrong length for its instruction.
    InvalidInstructionData = 1,
}

impl From<LoanbridgeError> for ProgramError {
    fn from(error: LoanbridgeError) -> Self {
        ProgramError::Custom(error as u32)
    }
}
