//! Reads the ELF relocatable that `llc -march=bpfel` writes into a plain
//! model (sections, symbols, relocations) that the rest of the relinker works
//! on without touching ELF structures again.

use object::elf::{self, FileHeader64};
use object::read::elf::{FileHeader as _, Rel as _, Rela as _, SectionHeader as _, Sym as _};
use object::read::elf::{SectionTable, SymbolTable};
use object::LittleEndian;

use super::LinkError;

/// A section of the input object, indexed by its ELF section index.
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub align: u64,
    pub size: u64,
    /// File contents (empty for SHT_NOBITS).
    pub data: &'a [u8],
}

impl Section<'_> {
    pub fn is_alloc(&self) -> bool {
        self.flags & u64::from(elf::SHF_ALLOC) != 0
    }
    pub fn is_writable(&self) -> bool {
        self.flags & u64::from(elf::SHF_WRITE) != 0
    }
    pub fn is_exec(&self) -> bool {
        self.flags & u64::from(elf::SHF_EXECINSTR) != 0
    }
}

/// Where a symbol is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Definition {
    Undefined,
    /// In the section with this ELF index, at `Symbol::value`.
    Section(usize),
    /// SHN_COMMON: zero-initialised writable data the linker would allocate.
    Common,
    /// SHN_ABS or another reserved index: not an address in the image.
    Other(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Symbol {
    /// The symbol's name; for STT_SECTION symbols, the section's name.
    pub name: String,
    pub st_type: u8,
    pub definition: Definition,
    pub value: u64,
}

impl Symbol {
    pub fn is_section(&self) -> bool {
        self.st_type == elf::STT_SECTION
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relocation {
    /// Offset of the place within the target section.
    pub offset: u64,
    pub r_type: u32,
    pub symbol: Symbol,
    /// Explicit addend (SHT_RELA); `None` means the addend is implicit,
    /// stored in the place (SHT_REL, what LLVM emits for BPF).
    pub addend: Option<i64>,
}

/// The relocations of one SHT_REL/SHT_RELA section.
#[derive(Debug, Clone)]
pub(crate) struct RelocationSet {
    /// ELF index of the section the relocations apply to (sh_info).
    pub target: usize,
    pub relocations: Vec<Relocation>,
}

#[derive(Debug, Clone)]
pub(crate) struct InputObject<'a> {
    pub sections: Vec<Section<'a>>,
    /// The SHT_SYMTAB, in symbol index order.
    pub symbols: Vec<Symbol>,
    pub relocation_sets: Vec<RelocationSet>,
}

impl InputObject<'_> {
    /// Name of a section for messages.
    pub fn section_name(&self, index: usize) -> &str {
        self.sections
            .get(index)
            .map_or("<invalid section index>", |s| s.name.as_str())
    }
}

type Header = FileHeader64<LittleEndian>;
type Sections<'a> = SectionTable<'a, Header, &'a [u8]>;
type Symbols<'a> = SymbolTable<'a, Header, &'a [u8]>;

/// Parses `data` as a 64-bit little-endian BPF relocatable object.
pub(crate) fn parse(data: &[u8]) -> Result<InputObject<'_>, LinkError> {
    check_ident(data)?;
    let header = Header::parse(data)?;
    let endian = header.endian()?;
    let e_type = header.e_type.get(endian);
    if e_type != elf::ET_REL {
        return Err(LinkError::NotRelocatable { e_type });
    }
    let e_machine = header.e_machine.get(endian);
    if e_machine != elf::EM_BPF {
        return Err(LinkError::NotBpf { e_machine });
    }

    let table = header.sections(endian, data)?;
    let sections = read_sections(&table, data)?;
    let symtab = table.symbols(endian, data, elf::SHT_SYMTAB)?;
    let symbols = symtab
        .iter()
        .map(|sym| read_symbol(&symtab, sym, &sections))
        .collect::<Result<Vec<_>, _>>()?;
    let relocation_sets = read_relocations(&table, data, &sections)?;
    Ok(InputObject {
        sections,
        symbols,
        relocation_sets,
    })
}

/// Checks the identification bytes ourselves so that the common mistakes
/// (wrong file, 32-bit or big-endian object) get a precise error.
fn check_ident(data: &[u8]) -> Result<(), LinkError> {
    // e_ident: magic (4 bytes), EI_CLASS, EI_DATA, ...
    if data.len() < 16 || data[..4] != elf::ELFMAG {
        return Err(LinkError::NotElf);
    }
    let (class, encoding) = (data[4], data[5]);
    if class != elf::ELFCLASS64 || encoding != elf::ELFDATA2LSB {
        return Err(LinkError::NotElf64Le {
            class,
            data: encoding,
        });
    }
    Ok(())
}

fn read_sections<'a>(table: &Sections<'a>, data: &'a [u8]) -> Result<Vec<Section<'a>>, LinkError> {
    let endian = LittleEndian;
    table
        .iter()
        .map(|sh| {
            Ok(Section {
                name: String::from_utf8_lossy(table.section_name(endian, sh)?).into_owned(),
                sh_type: sh.sh_type(endian),
                flags: sh.sh_flags(endian),
                align: sh.sh_addralign(endian),
                size: sh.sh_size(endian),
                data: sh.data(endian, data)?,
            })
        })
        .collect()
}

fn read_symbol<'a>(
    symtab: &Symbols<'a>,
    sym: &elf::Sym64<LittleEndian>,
    sections: &[Section<'_>],
) -> Result<Symbol, LinkError> {
    let endian = LittleEndian;
    let definition = match sym.st_shndx(endian) {
        elf::SHN_UNDEF => Definition::Undefined,
        elf::SHN_COMMON => Definition::Common,
        index if index < elf::SHN_LORESERVE => Definition::Section(usize::from(index)),
        other => Definition::Other(other),
    };
    let name = match definition {
        Definition::Section(index) if sym.st_type() == elf::STT_SECTION => sections
            .get(index)
            .map_or_else(String::new, |s| s.name.clone()),
        _ => String::from_utf8_lossy(symtab.symbol_name(endian, sym)?).into_owned(),
    };
    Ok(Symbol {
        name,
        st_type: sym.st_type(),
        definition,
        value: sym.st_value(endian),
    })
}

fn read_relocations<'a>(
    table: &Sections<'a>,
    data: &'a [u8],
    sections: &[Section<'_>],
) -> Result<Vec<RelocationSet>, LinkError> {
    let endian = LittleEndian;
    let mut sets = Vec::new();
    for sh in table.iter() {
        let target = sh.info_link(endian).0;
        let relocations = if let Some((rels, link)) = sh.rel(endian, data)? {
            let symtab = table.symbol_table_by_index(endian, data, link)?;
            rels.iter()
                .map(|r| {
                    let symbol = relocation_symbol(&symtab, r.r_sym(endian), sections)?;
                    Ok(Relocation {
                        offset: r.r_offset(endian),
                        r_type: r.r_type(endian),
                        symbol,
                        addend: None,
                    })
                })
                .collect::<Result<Vec<_>, LinkError>>()?
        } else if let Some((relas, link)) = sh.rela(endian, data)? {
            let symtab = table.symbol_table_by_index(endian, data, link)?;
            relas
                .iter()
                .map(|r| {
                    let symbol = relocation_symbol(&symtab, r.r_sym(endian, false), sections)?;
                    Ok(Relocation {
                        offset: r.r_offset(endian),
                        r_type: r.r_type(endian, false),
                        symbol,
                        addend: Some(r.r_addend(endian)),
                    })
                })
                .collect::<Result<Vec<_>, LinkError>>()?
        } else {
            continue;
        };
        sets.push(RelocationSet {
            target,
            relocations,
        });
    }
    Ok(sets)
}

fn relocation_symbol<'a>(
    symtab: &Symbols<'a>,
    index: u32,
    sections: &[Section<'_>],
) -> Result<Symbol, LinkError> {
    let sym = symtab.symbol(object::read::SymbolIndex(index as usize))?;
    read_symbol(symtab, sym, sections)
}
