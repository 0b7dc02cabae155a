//! Reading the instructions sysvar, bounds-checked.
//!
//! Layout (written by the runtime): `u16` instruction count, one `u16`
//! offset per instruction, then at each offset `u16` account count,
//! `(flags u8, pubkey)` per account, program id (32), `u16` data length,
//! data; the last two bytes of the account are the index of the instruction
//! executing now. Every read here is checked, so even bytes that are not a
//! real sysvar cannot make the program read out of bounds; that the bytes
//! *are* the real sysvar is the caller's check of the account address
//! (Wormhole, Feb 2022: a forged sysvar account was accepted).

use pinocchio::Address;

/// `Sysvar1nstructions1111111111111111111111111`.
pub const INSTRUCTIONS_SYSVAR_ID: Address = pinocchio::sysvars::instructions::INSTRUCTIONS_ID;

/// One instruction of the transaction, as the sysvar records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysvarInstruction<'a> {
    pub program_id: &'a [u8; 32],
    pub data: &'a [u8],
}

fn u16_at(data: &[u8], offset: usize) -> Option<u16> {
    let bytes = data.get(offset..offset.checked_add(2)?)?;
    Some(u16::from_le_bytes([bytes[0], bytes[1]]))
}

/// The index of the instruction executing now (the sysvar's last two bytes).
pub fn current_index(sysvar: &[u8]) -> Option<u16> {
    u16_at(sysvar, sysvar.len().checked_sub(2)?)
}

/// The instruction at `index`, or `None` if there is none or the bytes are
/// malformed.
pub fn instruction_at(sysvar: &[u8], index: u16) -> Option<SysvarInstruction<'_>> {
    let count = u16_at(sysvar, 0)?;
    if index >= count {
        return None;
    }
    let start = u16_at(sysvar, 2 + 2 * index as usize)? as usize;
    let accounts = u16_at(sysvar, start)? as usize;
    let program_id_at = start + 2 + accounts * 33;
    let program_id: &[u8; 32] = sysvar
        .get(program_id_at..program_id_at + 32)?
        .try_into()
        .ok()?;
    let data_len = u16_at(sysvar, program_id_at + 32)? as usize;
    let data_at = program_id_at + 34;
    let data = sysvar.get(data_at..data_at + data_len)?;
    Some(SysvarInstruction { program_id, data })
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Serializes instructions the way the runtime writes the sysvar.
    pub fn sysvar_bytes(instructions: &[([u8; 32], usize, &[u8])], current: u16) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(instructions.len() as u16).to_le_bytes());
        let offsets_at = out.len();
        out.resize(offsets_at + 2 * instructions.len(), 0);
        for (i, (program_id, accounts, data)) in instructions.iter().enumerate() {
            let start = out.len() as u16;
            out[offsets_at + 2 * i..offsets_at + 2 * i + 2].copy_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&(*accounts as u16).to_le_bytes());
            for a in 0..*accounts {
                out.push(0b11);
                out.extend_from_slice(&[a as u8; 32]);
            }
            out.extend_from_slice(program_id);
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
        }
        out.extend_from_slice(&current.to_le_bytes());
        out
    }

    #[test]
    fn reads_instructions_and_current_index() {
        let bytes = sysvar_bytes(&[([1; 32], 0, &[1, 2, 3]), ([2; 32], 3, &[])], 1);
        assert_eq!(current_index(&bytes), Some(1));
        assert_eq!(
            instruction_at(&bytes, 0),
            Some(SysvarInstruction {
                program_id: &[1; 32],
                data: &[1, 2, 3]
            })
        );
        assert_eq!(
            instruction_at(&bytes, 1),
            Some(SysvarInstruction {
                program_id: &[2; 32],
                data: &[]
            })
        );
        assert_eq!(instruction_at(&bytes, 2), None);
    }

    #[test]
    fn every_truncation_is_rejected_without_panicking() {
        let bytes = sysvar_bytes(&[([1; 32], 2, &[1, 2, 3]), ([2; 32], 1, &[4; 40])], 1);
        // Any cut before the end of the last instruction's data (the two
        // bytes after it are the current index) leaves it out of bounds.
        for len in 0..bytes.len() - 2 {
            assert_eq!(instruction_at(&bytes[..len], 1), None, "cut at {len}");
        }
        assert_eq!(current_index(&[]), None);
        assert_eq!(current_index(&[7]), None);
    }

    #[test]
    fn fuzz_random_bytes_never_panic() {
        let mut state = 0x1234_5678_9abc_def1u64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 200) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (state >> (i % 56)) as u8).collect();
            let _ = current_index(&bytes);
            for index in 0..4 {
                let _ = instruction_at(&bytes, index);
            }
        }
    }
}
