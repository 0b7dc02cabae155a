//! Relink tests on small synthetic objects written with `object::write`,
//! including shapes llc would not produce on purpose (writable data, odd
//! relocation types, ET_EXEC).

use object::write::{
    Object, Relocation, SectionId, StandardSection, Symbol, SymbolId, SymbolSection,
};
use object::{
    elf, Architecture, BinaryFormat, Endianness, RelocationFlags, SectionKind, SymbolFlags,
    SymbolKind, SymbolScope,
};

use super::*;

const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

fn insn(opcode: u8, regs: u8, imm: i32) -> [u8; 8] {
    let mut bytes = [opcode, regs, 0, 0, 0, 0, 0, 0];
    bytes[4..].copy_from_slice(&imm.to_le_bytes());
    bytes
}

/// A BPF relocatable under construction.
struct Builder {
    object: Object<'static>,
    text: SectionId,
}

impl Builder {
    /// `.text` holding `code`, with a global `entrypoint` at offset 0.
    fn new(code: &[u8]) -> Self {
        Self::for_arch(Architecture::Bpf, code)
    }

    fn for_arch(arch: Architecture, code: &[u8]) -> Self {
        let mut object = Object::new(BinaryFormat::Elf, arch, Endianness::Little);
        let text = object.section_id(StandardSection::Text);
        object.append_section_data(text, code, 8);
        let mut builder = Builder { object, text };
        builder.define("entrypoint", text, 0, SymbolKind::Text);
        builder
    }

    fn define(&mut self, name: &str, section: SectionId, value: u64, kind: SymbolKind) -> SymbolId {
        self.object.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value,
            size: 0,
            kind,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(section),
            flags: SymbolFlags::None,
        })
    }

    fn undefined(&mut self, name: &str) -> SymbolId {
        self.object.add_symbol(Symbol {
            name: name.as_bytes().to_vec(),
            value: 0,
            size: 0,
            kind: SymbolKind::Unknown,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Undefined,
            flags: SymbolFlags::None,
        })
    }

    fn section(&mut self, name: &str, kind: SectionKind, data: &[u8]) -> SectionId {
        let id = self
            .object
            .add_section(Vec::new(), name.as_bytes().to_vec(), kind);
        if kind == SectionKind::UninitializedData {
            self.object.append_section_bss(id, data.len() as u64, 8);
        } else {
            self.object.append_section_data(id, data, 8);
        }
        id
    }

    fn relocate(&mut self, section: SectionId, offset: u64, symbol: SymbolId, r_type: u32) {
        self.object
            .add_relocation(
                section,
                Relocation {
                    offset,
                    symbol,
                    addend: 0,
                    flags: RelocationFlags::Elf { r_type },
                },
            )
            .unwrap();
    }

    fn bytes(&self) -> Vec<u8> {
        self.object.write().unwrap()
    }
}

fn relink_err(bytes: &[u8]) -> LinkError {
    relink(bytes, "entrypoint").unwrap_err()
}

fn read_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().unwrap())
}

#[test]
fn rejects_non_elf_input() {
    assert_eq!(relink_err(b"!<arch>\nnot an object"), LinkError::NotElf);
    assert_eq!(relink_err(b""), LinkError::NotElf);
}

#[test]
fn rejects_32_bit_or_big_endian_elf() {
    let mut bytes = Builder::new(&EXIT).bytes();
    bytes[4] = 1; // ELFCLASS32
    assert_eq!(
        relink_err(&bytes),
        LinkError::NotElf64Le { class: 1, data: 1 }
    );
    bytes[4] = 2;
    bytes[5] = 2; // ELFDATA2MSB
    assert_eq!(
        relink_err(&bytes),
        LinkError::NotElf64Le { class: 2, data: 2 }
    );
}

#[test]
fn rejects_an_executable() {
    let mut bytes = Builder::new(&EXIT).bytes();
    bytes[16..18].copy_from_slice(&elf::ET_EXEC.to_le_bytes());
    let err = relink_err(&bytes);
    assert_eq!(
        err,
        LinkError::NotRelocatable {
            e_type: elf::ET_EXEC
        }
    );
    assert_eq!(
        err.to_string(),
        "input is not a relocatable object: e_type=2 (expected ET_REL=1)"
    );
}

#[test]
fn rejects_another_machine() {
    let bytes = Builder::for_arch(Architecture::X86_64, &EXIT).bytes();
    assert_eq!(
        relink_err(&bytes),
        LinkError::NotBpf {
            e_machine: elf::EM_X86_64
        }
    );
}

#[test]
fn rejects_writable_data_and_bss() {
    let mut builder = Builder::new(&EXIT);
    builder.section(".data", SectionKind::Data, &[1, 2, 3, 4]);
    let err = relink_err(&builder.bytes());
    assert_eq!(
        err,
        LinkError::WritableSection {
            sections: vec![".data".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "writable data is not supported by SBPF (no mutable statics): section(s) .data"
    );

    let mut builder = Builder::new(&EXIT);
    builder.section(".bss", SectionKind::UninitializedData, &[0; 16]);
    assert_eq!(
        relink_err(&builder.bytes()),
        LinkError::WritableSection {
            sections: vec![".bss".into()]
        }
    );
}

#[test]
fn accepts_data_rel_ro_as_read_only() {
    let mut builder = Builder::new(&EXIT);
    builder.section(".data.rel.ro", SectionKind::Data, &[7; 8]);
    let shared = relink(&builder.bytes(), "entrypoint").unwrap();
    assert_eq!(shared.summary.rodata_len, 8);
}

#[test]
fn reports_a_missing_entry_symbol() {
    let bytes = Builder::new(&EXIT).bytes();
    let err = relink(&bytes, "main").unwrap_err();
    assert_eq!(
        err,
        LinkError::MissingEntry {
            symbol: "main".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "entry symbol `main` is not defined in the object"
    );
}

#[test]
fn reports_an_entry_outside_text() {
    let mut builder = Builder::new(&EXIT);
    let rodata = builder.section(".rodata", SectionKind::ReadOnlyData, b"abcdefgh");
    builder.define("table", rodata, 0, SymbolKind::Data);
    assert_eq!(
        relink(&builder.bytes(), "table").unwrap_err(),
        LinkError::EntryNotInText {
            symbol: "table".into()
        }
    );
}

#[test]
fn rejects_unsupported_relocation_types() {
    let mut builder = Builder::new(&[insn(0x85, 0, -1), EXIT].concat());
    let target = builder.undefined("helper");
    builder.relocate(builder.text, 0, target, 8);
    assert_eq!(
        relink_err(&builder.bytes()),
        LinkError::UnsupportedRelocation {
            r_type: 8,
            symbol: "helper".into(),
            section: ".text".into()
        }
    );
}

#[test]
fn rejects_lddw_of_an_undefined_symbol() {
    let mut builder = Builder::new(&[insn(0x18, 1, 0), insn(0, 0, 0), EXIT].concat());
    let target = builder.undefined("EXTERNAL_TABLE");
    builder.relocate(builder.text, 0, target, R_BPF_64_64);
    let err = relink_err(&builder.bytes());
    assert_eq!(
        err,
        LinkError::LddwOfUndefined {
            symbol: "EXTERNAL_TABLE".into()
        }
    );
}

#[test]
fn rejects_a_data_pointer_to_an_undefined_symbol() {
    let mut builder = Builder::new(&EXIT);
    let rodata = builder.section(".rodata", SectionKind::ReadOnlyData, &[0; 8]);
    let target = builder.undefined("elsewhere");
    builder.relocate(rodata, 0, target, R_BPF_64_ABS64);
    assert_eq!(
        relink_err(&builder.bytes()),
        LinkError::DataPointerToUndefined {
            symbol: "elsewhere".into()
        }
    );
}

#[test]
fn rejects_call_relocation_on_a_non_call() {
    let mut builder = Builder::new(&[insn(0xb7, 0, 0), EXIT].concat());
    let target = builder.undefined("sol_log_");
    builder.relocate(builder.text, 0, target, R_BPF_64_32);
    assert!(matches!(
        relink_err(&builder.bytes()),
        LinkError::NotACall { .. }
    ));
}

#[test]
fn rejects_a_call_to_itself() {
    let code = [EXIT, insn(0x85, 0, -1), EXIT].concat();
    let mut builder = Builder::new(&code);
    let spin = builder.define("spin", builder.text, 8, SymbolKind::Text);
    builder.relocate(builder.text, 8, spin, R_BPF_64_32);
    assert_eq!(
        relink_err(&builder.bytes()),
        LinkError::CallToSelf {
            symbol: "spin".into(),
            offset: 8
        }
    );
}

#[test]
fn rejects_relocation_outside_its_section() {
    let mut builder = Builder::new(&EXIT);
    let target = builder.undefined("sol_log_");
    builder.relocate(builder.text, 0x100, target, R_BPF_64_32);
    assert!(matches!(
        relink_err(&builder.bytes()),
        LinkError::RelocationOutOfBounds { offset: 0x100, .. }
    ));
}

#[test]
fn ignores_nodyld32_and_relocations_of_unloaded_sections() {
    let mut builder = Builder::new(&EXIT);
    let btf = builder.section(".BTF.ext", SectionKind::Debug, &[0; 8]);
    let target = builder.undefined("nothing");
    builder.relocate(btf, 0, target, R_BPF_64_ABS64);
    let rodata = builder.section(".rodata", SectionKind::ReadOnlyData, &[5; 8]);
    let btf_symbol = builder.define("btf_type", btf, 0, SymbolKind::Data);
    builder.relocate(rodata, 0, btf_symbol, R_BPF_64_NODYLD32);
    let shared = relink(&builder.bytes(), "entrypoint").unwrap();
    assert_eq!(shared.summary.rodata_len, 8);
    let rodata_at = 288 + 8;
    assert_eq!(&shared.bytes[rodata_at..rodata_at + 8], &[5; 8]);
}

#[test]
fn relinks_syscalls_lddw_and_internal_calls() {
    // entrypoint: lddw r1, msg; mov r2, 5; call sol_log_; call helper; exit
    // helper:     call sol_log_; exit
    let code = [
        insn(0x18, 0x01, 0),
        insn(0, 0, 0),
        insn(0xb7, 0x02, 5),
        insn(0x85, 0, -1),
        insn(0x85, 0, -1),
        EXIT,
        insn(0x85, 0, -1),
        EXIT,
    ]
    .concat();
    let mut builder = Builder::new(&code);
    let rodata = builder.section(".rodata", SectionKind::ReadOnlyData, b"hello\0\0\0");
    let msg = builder.define("msg", rodata, 0, SymbolKind::Data);
    let helper = builder.define("helper", builder.text, 48, SymbolKind::Text);
    let log = builder.undefined("sol_log_");
    let text = builder.text;
    builder.relocate(text, 0, msg, R_BPF_64_64);
    builder.relocate(text, 24, log, R_BPF_64_32);
    builder.relocate(text, 32, helper, R_BPF_64_32);
    builder.relocate(text, 48, log, R_BPF_64_32);
    let shared = relink(&builder.bytes(), "entrypoint").unwrap();
    let out = &shared.bytes;

    let text_at = 288;
    let rodata_at = text_at + code.len();
    assert_eq!(shared.summary.entry, text_at as u64);
    assert_eq!(shared.summary.syscalls, vec!["sol_log_"]);
    assert_eq!(shared.summary.text_len, code.len());
    // lddw: 0x1_0000_0000 + address of "hello".
    let pointer = MM_REGION + rodata_at as u64;
    assert_eq!(read_u32(out, text_at + 4), pointer as u32);
    assert_eq!(read_u32(out, text_at + 12), (pointer >> 32) as u32);
    // syscalls keep imm -1; the internal call is pc-relative: (48 - 40) / 8.
    assert_eq!(read_u32(out, text_at + 24 + 4), u32::MAX);
    assert_eq!(read_u32(out, text_at + 32 + 4) as i32, 1);
    assert_eq!(read_u32(out, text_at + 48 + 4), u32::MAX);
    assert_eq!(&out[rodata_at..rodata_at + 5], b"hello");
    assert_eq!(
        shared.summary.to_string(),
        format!(
            "text=64 bytes, rodata=8 bytes, syscalls=[sol_log_], entry={:#x}",
            text_at
        )
    );
}

#[test]
fn rejects_a_pointer_to_a_section_that_is_not_loaded() {
    let mut builder = Builder::new(&EXIT);
    let btf = builder.section(".BTF", SectionKind::Debug, &[0; 8]);
    let btf_symbol = builder.define("btf_type", btf, 0, SymbolKind::Data);
    let rodata = builder.section(".rodata", SectionKind::ReadOnlyData, &[0; 8]);
    builder.relocate(rodata, 0, btf_symbol, R_BPF_64_ABS64);
    assert_eq!(
        relink_err(&builder.bytes()),
        LinkError::SymbolNotLoaded {
            symbol: "btf_type".into(),
            section: ".BTF".into()
        }
    );
}
