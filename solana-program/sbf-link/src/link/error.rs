//! Why a relink can fail. Each variant names what to change in the program
//! or the build, in place of the prototype's `SystemExit` strings.

use thiserror::Error;

/// A relink failure.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LinkError {
    /// The input does not start with the ELF magic.
    #[error("input is not an ELF file")]
    NotElf,

    /// ELF, but not 64-bit little-endian (the only kind of BPF object SBPF runs).
    #[error("input is not a 64-bit little-endian ELF file (EI_CLASS={class}, EI_DATA={data})")]
    NotElf64Le { class: u8, data: u8 },

    /// A 64-bit LE ELF, but not a relocatable object (e.g. an executable or
    /// an already linked shared object).
    #[error("input is not a relocatable object: e_type={e_type} (expected ET_REL=1)")]
    NotRelocatable { e_type: u16 },

    /// A relocatable object for another machine.
    #[error("input is not a BPF object: e_machine={e_machine} (expected EM_BPF=247)")]
    NotBpf { e_machine: u16 },

    /// The ELF structures themselves are broken (reported by the `object` crate).
    #[error("malformed ELF object: {0}")]
    Malformed(String),

    /// SBPF v0 maps no writable memory for the program image: the loader
    /// rejects `.bss*` and writable `.data*` sections
    /// (`ElfError::WritableSectionNotSupported`), i.e. mutable statics.
    #[error(
        "writable data is not supported by SBPF (no mutable statics): section(s) {}",
        .sections.join(", ")
    )]
    WritableSection { sections: Vec<String> },

    /// A common symbol is zero-initialised writable data without a section.
    #[error(
        "writable data is not supported by SBPF (no mutable statics): common symbol `{symbol}`"
    )]
    CommonSymbol { symbol: String },

    /// A relocation type this relinker does not know how to apply.
    #[error("unsupported relocation type {r_type} against `{symbol}` in section {section}")]
    UnsupportedRelocation {
        r_type: u32,
        symbol: String,
        section: String,
    },

    /// `lddw` (R_BPF_64_64) of an undefined symbol: SBPF resolves only calls
    /// (syscalls) dynamically, never data addresses.
    #[error(
        "lddw of undefined symbol `{symbol}`: only calls can go to external symbols (syscalls)"
    )]
    LddwOfUndefined { symbol: String },

    /// A data pointer (R_BPF_64_ABS64/ABS32) to an undefined symbol.
    #[error("data pointer to undefined symbol `{symbol}`: only calls can go to external symbols (syscalls)")]
    DataPointerToUndefined { symbol: String },

    /// A relocation references a symbol defined in a section that is not part
    /// of the output (absolute, debug or empty section).
    #[error("symbol `{symbol}` is defined in section {section}, which is not loaded")]
    SymbolNotLoaded { symbol: String, section: String },

    /// A relocation's place lies outside its section.
    #[error("relocation at offset {offset:#x} does not fit in section {section}")]
    RelocationOutOfBounds { section: String, offset: u64 },

    /// R_BPF_64_32 on something other than a `call imm` instruction.
    #[error(
        "R_BPF_64_32 against `{symbol}` at {section}+{offset:#x} is not on a call instruction"
    )]
    NotACall {
        symbol: String,
        section: String,
        offset: u64,
    },

    /// A call resolves outside `.text` or between instructions.
    #[error("call to `{symbol}` resolves to {target:#x}, which is not an instruction in .text")]
    InvalidCallTarget { symbol: String, target: i64 },

    /// A call whose pc-relative offset is -1 (the call instruction targets
    /// itself): the loader reads imm = -1 as "syscall, see .rel.dyn", so it
    /// cannot be expressed.
    #[error("call to `{symbol}` at .text+{offset:#x} targets itself (imm -1 means syscall to the loader)")]
    CallToSelf { symbol: String, offset: u64 },

    /// The object has no executable code.
    #[error("object has no executable (.text) section")]
    NoText,

    /// The entry symbol is not defined in the object.
    #[error("entry symbol `{symbol}` is not defined in the object")]
    MissingEntry { symbol: String },

    /// The entry symbol is defined, but not in code: the loader requires
    /// `e_entry` inside `.text` (`ElfError::EntrypointOutOfBounds`).
    #[error("entry symbol `{symbol}` is not in .text")]
    EntryNotInText { symbol: String },
}

impl From<object::read::Error> for LinkError {
    fn from(err: object::read::Error) -> Self {
        LinkError::Malformed(err.to_string())
    }
}
