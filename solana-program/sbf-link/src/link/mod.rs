//! Relinks an upstream LLVM BPF relocatable (`llc -march=bpfel`, ET_REL,
//! EM_BPF) into an SBPF v0 shared object that the Solana loader accepts.
//! A port of the prototype `bpf2sbf.py`, with typed errors.
//!
//! Steps: [`input`] reads the object, [`layout`] places code and read-only
//! data, [`reloc`] resolves relocations (syscalls become dynamic relocations)
//! and fixes `callx`, [`output`] writes the ELF.

mod error;
mod input;
mod layout;
mod output;
mod reloc;

use std::fmt;

pub use error::LinkError;
pub use reloc::{
    MM_REGION, OP_CALL, OP_CALLX, OP_LDDW, R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS32,
    R_BPF_64_ABS64, R_BPF_64_NODYLD32,
};

use input::{Definition, InputObject};
use layout::Layout;

/// The relinked program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedObject {
    /// The ELF file to deploy / load.
    pub bytes: Vec<u8>,
    pub summary: Summary,
}

/// What went into the shared object, for the build log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Size of `.text` in bytes.
    pub text_len: usize,
    /// Size of `.rodata` in bytes.
    pub rodata_len: usize,
    /// Syscalls the program calls, in `.dynsym` order.
    pub syscalls: Vec<String>,
    /// `e_entry`: address (= file offset) of the entry symbol.
    pub entry: u64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "text={} bytes, rodata={} bytes, syscalls=[{}], entry={:#x}",
            self.text_len,
            self.rodata_len,
            self.syscalls.join(", "),
            self.entry
        )
    }
}

/// Relinks `object` (an ELF64 LE ET_REL EM_BPF file) into an SBPF v0 shared
/// object whose entry point is `entry_symbol` (Solana programs use
/// `entrypoint`).
pub fn relink(object: &[u8], entry_symbol: &str) -> Result<SharedObject, LinkError> {
    let input = input::parse(object)?;
    let classes = layout::classify(&input)?;
    let mut layout = layout::lay_out(&input, &classes, output::HEADERS_END);
    let syscalls = reloc::apply_relocations(&input, &mut layout)?;
    reloc::fix_callx(&mut layout.text);
    reloc::check_calls(&layout.text, layout.text_address, &syscalls)?;
    let entry = entry_address(&input, &layout, entry_symbol)?;
    let bytes = output::write(&layout, &syscalls, entry);
    Ok(SharedObject {
        bytes,
        summary: Summary {
            text_len: layout.text.len(),
            rodata_len: layout.rodata.len(),
            syscalls: syscalls.names,
            entry,
        },
    })
}

/// Address of the entry symbol, which the loader requires inside `.text`
/// (`EntrypointOutOfBounds` otherwise).
fn entry_address(input: &InputObject<'_>, layout: &Layout, name: &str) -> Result<u64, LinkError> {
    let symbol = input
        .symbols
        .iter()
        .find(|s| s.name == name && s.definition != Definition::Undefined && !s.is_section())
        .ok_or_else(|| LinkError::MissingEntry {
            symbol: name.to_string(),
        })?;
    let not_in_text = || LinkError::EntryNotInText {
        symbol: name.to_string(),
    };
    let Definition::Section(index) = symbol.definition else {
        return Err(not_in_text());
    };
    let address = layout
        .section_address(index)
        .map(|section| section + symbol.value)
        .ok_or_else(not_in_text)?;
    if layout.text_contains(address) {
        Ok(address)
    } else {
        Err(not_in_text())
    }
}

#[cfg(test)]
mod tests;
