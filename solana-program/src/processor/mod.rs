//! One module per instruction; this one only dispatches.
mod version;

use pinocchio::{AccountView, Address, ProgramResult};

use crate::instruction::LoanbridgeInstruction;

pub fn process_instruction(
    _program_id: &Address,
    accounts: &mut [AccountView],
    instruction_data: &[u8],
) -> ProgramResult {
    match LoanbridgeInstruction::unpack(instruction_data)? {
        LoanbridgeInstruction::Version => version::process(accounts),
    }
}
