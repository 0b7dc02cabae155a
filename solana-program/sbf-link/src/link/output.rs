//! Writes the SBPF v0 shared object.
//!
//! File layout (every alloc section has `sh_addr == sh_offset`, which the
//! loader requires with `reject_broken_elfs`):
//!
//! ```text
//! ELF header | 4 program headers | .text | .rodata | .dynamic | .dynsym
//! | .dynstr | .rel.dyn | .shstrtab | section headers
//! ```
//!
//! The lenient loader (anza-xyz/sbpf `src/elf.rs`) reads sections, not
//! segments: it wants exactly one `.text` containing `e_entry`, finds the
//! syscalls through `.dynamic` (DT_REL/DT_RELSZ/DT_RELENT, DT_SYMTAB) and
//! `.dynsym`/`.dynstr`, and takes the SBPF version from `e_flags` (0 = v0).
//! The program headers mirror the sections for tools like `llvm-readelf`.

use object::elf::{
    self, Dyn64, FileHeader64, Ident, ProgramHeader64, Rel64, SectionHeader64, Sym64,
};
use object::endian::{LittleEndian as LE, U16, U32, U64};
use object::pod::{bytes_of, Pod};

use super::layout::{align_up, Layout};
use super::reloc::{Syscalls, R_BPF_64_32};

const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const SHDR_SIZE: u64 = 64;
const SYM_SIZE: u64 = 24;
const REL_SIZE: u64 = 16;
const DYN_SIZE: u64 = 16;
const PROGRAM_HEADERS: u64 = 4;
/// `.dynamic` always has room for SYMTAB, STRTAB, STRSZ, SYMENT, REL,
/// RELSZ, RELENT (unused slots are DT_NULL).
const DYNAMIC_ENTRIES: u64 = 7;

/// First byte after the ELF header and program headers: where `.text` goes.
pub(crate) const HEADERS_END: u64 = EHDR_SIZE + PHDR_SIZE * PROGRAM_HEADERS;

/// Output section indices (fixed: `.dynamic` links `.dynstr`, `.rel.dyn`
/// links `.dynsym`).
const SHNDX_DYNSYM: u32 = 4;
const SHNDX_DYNSTR: u32 = 5;

const SECTION_NAMES: [&str; 7] = [
    ".text",
    ".rodata",
    ".dynamic",
    ".dynsym",
    ".dynstr",
    ".rel.dyn",
    ".shstrtab",
];

/// The dynamic-linking tables describing the syscalls.
struct DynamicTables {
    dynsym: Vec<u8>,
    dynstr: Vec<u8>,
    rel_dyn: Vec<u8>,
}

impl DynamicTables {
    fn new(syscalls: &Syscalls) -> Self {
        let mut dynstr = vec![0u8];
        let mut dynsym = bytes_of(&Sym64::<LE> {
            st_name: U32::new(LE, 0),
            st_info: 0,
            st_other: 0,
            st_shndx: U16::new(LE, 0),
            st_value: U64::new(LE, 0),
            st_size: U64::new(LE, 0),
        })
        .to_vec();
        for name in &syscalls.names {
            let st_name = dynstr.len() as u32;
            dynstr.extend_from_slice(name.as_bytes());
            dynstr.push(0);
            // GLOBAL NOTYPE UNDEF: the loader hashes the name (murmur3) and
            // looks it up among the runtime's syscalls.
            append(
                &mut dynsym,
                &Sym64::<LE> {
                    st_name: U32::new(LE, st_name),
                    st_info: (elf::STB_GLOBAL << 4) | elf::STT_NOTYPE,
                    st_other: 0,
                    st_shndx: U16::new(LE, elf::SHN_UNDEF),
                    st_value: U64::new(LE, 0),
                    st_size: U64::new(LE, 0),
                },
            );
        }
        let mut rel_dyn = Vec::new();
        for &(call_address, dynsym_index) in &syscalls.calls {
            append(
                &mut rel_dyn,
                &Rel64::<LE> {
                    r_offset: U64::new(LE, call_address),
                    r_info: U64::new(LE, (u64::from(dynsym_index) << 32) | u64::from(R_BPF_64_32)),
                },
            );
        }
        DynamicTables {
            dynsym,
            dynstr,
            rel_dyn,
        }
    }
}

/// File offsets (= addresses) of everything after `.rodata`.
struct Offsets {
    dynamic: u64,
    dynsym: u64,
    dynstr: u64,
    rel_dyn: u64,
    /// End of the last alloc section.
    alloc_end: u64,
    shstrtab: u64,
    section_headers: u64,
}

impl Offsets {
    fn new(layout: &Layout, tables: &DynamicTables, shstrtab_len: u64) -> Self {
        let dynamic = align_up(layout.rodata_address + layout.rodata.len() as u64, 8);
        let dynsym = dynamic + DYN_SIZE * DYNAMIC_ENTRIES;
        let dynstr = dynsym + tables.dynsym.len() as u64;
        let rel_dyn = align_up(dynstr + tables.dynstr.len() as u64, 8);
        let alloc_end = rel_dyn + tables.rel_dyn.len() as u64;
        let shstrtab = alloc_end;
        let section_headers = align_up(shstrtab + shstrtab_len, 8);
        Offsets {
            dynamic,
            dynsym,
            dynstr,
            rel_dyn,
            alloc_end,
            shstrtab,
            section_headers,
        }
    }
}

/// Builds the whole shared object.
pub(crate) fn write(layout: &Layout, syscalls: &Syscalls, entry: u64) -> Vec<u8> {
    let tables = DynamicTables::new(syscalls);
    let (shstrtab, name_offsets) = section_name_table();
    let offsets = Offsets::new(layout, &tables, shstrtab.len() as u64);
    let dynamic = dynamic_section(&offsets, &tables);

    let mut out = vec![0u8; offsets.section_headers as usize];
    place(&mut out, layout.text_address, &layout.text);
    place(&mut out, layout.rodata_address, &layout.rodata);
    place(&mut out, offsets.dynamic, &dynamic);
    place(&mut out, offsets.dynsym, &tables.dynsym);
    place(&mut out, offsets.dynstr, &tables.dynstr);
    place(&mut out, offsets.rel_dyn, &tables.rel_dyn);
    place(&mut out, offsets.shstrtab, &shstrtab);

    let sections = section_headers(
        layout,
        &tables,
        &offsets,
        &dynamic,
        &shstrtab,
        &name_offsets,
    );
    for section in &sections {
        append(&mut out, section);
    }
    let program_headers = program_headers(layout, &offsets, &dynamic);
    let header = file_header(entry, &offsets, sections.len() as u16);
    place(&mut out, 0, bytes_of(&header));
    for (i, phdr) in program_headers.iter().enumerate() {
        place(&mut out, EHDR_SIZE + PHDR_SIZE * i as u64, bytes_of(phdr));
    }
    out
}

fn file_header(entry: u64, offsets: &Offsets, shnum: u16) -> FileHeader64<LE> {
    FileHeader64 {
        e_ident: Ident {
            magic: elf::ELFMAG,
            class: elf::ELFCLASS64,
            data: elf::ELFDATA2LSB,
            version: elf::EV_CURRENT,
            // The loader rejects any OS ABI but ELFOSABI_NONE.
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            padding: [0; 7],
        },
        e_type: U16::new(LE, elf::ET_DYN),
        e_machine: U16::new(LE, elf::EM_BPF),
        e_version: U32::new(LE, u32::from(elf::EV_CURRENT)),
        e_entry: U64::new(LE, entry),
        e_phoff: U64::new(LE, EHDR_SIZE),
        e_shoff: U64::new(LE, offsets.section_headers),
        // e_flags is the SBPF version: 0 = v0, which upstream LLVM's
        // instruction set matches (after the callx fix).
        e_flags: U32::new(LE, 0),
        e_ehsize: U16::new(LE, EHDR_SIZE as u16),
        e_phentsize: U16::new(LE, PHDR_SIZE as u16),
        e_phnum: U16::new(LE, PROGRAM_HEADERS as u16),
        e_shentsize: U16::new(LE, SHDR_SIZE as u16),
        e_shnum: U16::new(LE, shnum),
        // .shstrtab is always the last section.
        e_shstrndx: U16::new(LE, shnum - 1),
    }
}

fn dynamic_section(offsets: &Offsets, tables: &DynamicTables) -> Vec<u8> {
    let mut entries = vec![
        (elf::DT_SYMTAB, offsets.dynsym),
        (elf::DT_STRTAB, offsets.dynstr),
        (elf::DT_STRSZ, tables.dynstr.len() as u64),
        (elf::DT_SYMENT, SYM_SIZE),
    ];
    if !tables.rel_dyn.is_empty() {
        entries.extend([
            (elf::DT_REL, offsets.rel_dyn),
            (elf::DT_RELSZ, tables.rel_dyn.len() as u64),
            (elf::DT_RELENT, REL_SIZE),
        ]);
    }
    entries.resize(DYNAMIC_ENTRIES as usize, (elf::DT_NULL, 0));
    let mut bytes = Vec::new();
    for (tag, value) in entries {
        append(
            &mut bytes,
            &Dyn64::<LE> {
                d_tag: U64::new(LE, u64::from(tag)),
                d_val: U64::new(LE, value),
            },
        );
    }
    bytes
}

/// `.shstrtab` and the offset of each name in `SECTION_NAMES` order.
fn section_name_table() -> (Vec<u8>, Vec<u32>) {
    let mut table = vec![0u8];
    let mut offsets = Vec::new();
    for name in SECTION_NAMES {
        offsets.push(table.len() as u32);
        table.extend_from_slice(name.as_bytes());
        table.push(0);
    }
    (table, offsets)
}

struct SectionSpec {
    name: u32,
    sh_type: u32,
    flags: u32,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
    /// Whether the section is mapped (sh_addr = sh_offset) or not (0).
    alloc: bool,
}

fn section_header(spec: SectionSpec) -> SectionHeader64<LE> {
    SectionHeader64 {
        sh_name: U32::new(LE, spec.name),
        sh_type: U32::new(LE, spec.sh_type),
        sh_flags: U64::new(LE, u64::from(spec.flags)),
        sh_addr: U64::new(LE, if spec.alloc { spec.offset } else { 0 }),
        sh_offset: U64::new(LE, spec.offset),
        sh_size: U64::new(LE, spec.size),
        sh_link: U32::new(LE, spec.link),
        sh_info: U32::new(LE, spec.info),
        sh_addralign: U64::new(LE, spec.align),
        sh_entsize: U64::new(LE, spec.entsize),
    }
}

fn section_headers(
    layout: &Layout,
    tables: &DynamicTables,
    offsets: &Offsets,
    dynamic: &[u8],
    shstrtab: &[u8],
    names: &[u32],
) -> Vec<SectionHeader64<LE>> {
    let spec = |name: usize, sh_type: u32, flags: u32, offset: u64, size: usize| SectionSpec {
        name: names[name],
        sh_type,
        flags,
        offset,
        size: size as u64,
        link: 0,
        info: 0,
        align: 8,
        entsize: 0,
        alloc: true,
    };
    let null = SectionSpec {
        name: 0,
        alloc: false,
        align: 0,
        ..spec(0, elf::SHT_NULL, 0, 0, 0)
    };
    let mut headers = vec![section_header(null)];
    headers.push(section_header(spec(
        0,
        elf::SHT_PROGBITS,
        elf::SHF_ALLOC | elf::SHF_EXECINSTR,
        layout.text_address,
        layout.text.len(),
    )));
    headers.push(section_header(spec(
        1,
        elf::SHT_PROGBITS,
        elf::SHF_ALLOC,
        layout.rodata_address,
        layout.rodata.len(),
    )));
    // .dynamic is conventionally writable (a dynamic linker may patch it);
    // the loader only rejects writable sections named .bss*/.data*.
    headers.push(section_header(SectionSpec {
        link: SHNDX_DYNSTR,
        entsize: DYN_SIZE,
        ..spec(
            2,
            elf::SHT_DYNAMIC,
            elf::SHF_ALLOC | elf::SHF_WRITE,
            offsets.dynamic,
            dynamic.len(),
        )
    }));
    headers.push(section_header(SectionSpec {
        link: SHNDX_DYNSTR,
        // Index of the first non-local symbol: all but the null one are global.
        info: 1,
        entsize: SYM_SIZE,
        ..spec(
            3,
            elf::SHT_DYNSYM,
            elf::SHF_ALLOC,
            offsets.dynsym,
            tables.dynsym.len(),
        )
    }));
    headers.push(section_header(SectionSpec {
        align: 1,
        ..spec(
            4,
            elf::SHT_STRTAB,
            elf::SHF_ALLOC,
            offsets.dynstr,
            tables.dynstr.len(),
        )
    }));
    if !tables.rel_dyn.is_empty() {
        headers.push(section_header(SectionSpec {
            link: SHNDX_DYNSYM,
            entsize: REL_SIZE,
            ..spec(
                5,
                elf::SHT_REL,
                elf::SHF_ALLOC,
                offsets.rel_dyn,
                tables.rel_dyn.len(),
            )
        }));
    }
    headers.push(section_header(SectionSpec {
        alloc: false,
        align: 1,
        ..spec(6, elf::SHT_STRTAB, 0, offsets.shstrtab, shstrtab.len())
    }));
    headers
}

fn program_headers(layout: &Layout, offsets: &Offsets, dynamic: &[u8]) -> [ProgramHeader64<LE>; 4] {
    let segment = |p_type: u32, flags: u32, offset: u64, size: u64, align: u64| ProgramHeader64 {
        p_type: U32::new(LE, p_type),
        p_flags: U32::new(LE, flags),
        p_offset: U64::new(LE, offset),
        p_vaddr: U64::new(LE, offset),
        p_paddr: U64::new(LE, offset),
        p_filesz: U64::new(LE, size),
        p_memsz: U64::new(LE, size),
        p_align: U64::new(LE, align),
    };
    [
        segment(
            elf::PT_LOAD,
            elf::PF_R | elf::PF_X,
            layout.text_address,
            layout.text.len() as u64,
            0x1000,
        ),
        segment(
            elf::PT_LOAD,
            elf::PF_R,
            layout.rodata_address,
            layout.rodata.len() as u64,
            0x1000,
        ),
        segment(
            elf::PT_LOAD,
            elf::PF_R | elf::PF_W,
            offsets.dynamic,
            offsets.alloc_end - offsets.dynamic,
            0x1000,
        ),
        segment(
            elf::PT_DYNAMIC,
            elf::PF_R | elf::PF_W,
            offsets.dynamic,
            dynamic.len() as u64,
            8,
        ),
    ]
}

fn place(out: &mut [u8], offset: u64, bytes: &[u8]) {
    let start = offset as usize;
    out[start..start + bytes.len()].copy_from_slice(bytes);
}

fn append<T: Pod>(out: &mut Vec<u8>, value: &T) {
    out.extend_from_slice(bytes_of(value));
}
