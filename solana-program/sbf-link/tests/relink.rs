//! Relinks real BPF objects, compiled at test time by `llc-22` from the IR
//! fixtures in `tests/fixtures/`, and checks the output against the rules of
//! the SBPF v0 loader (anza-xyz/sbpf `src/elf.rs`) plus what each fixture
//! exercises.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use object::elf;
use object::read::elf::ElfFile64;
use object::{
    LittleEndian, Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget,
    SectionFlags,
};
use sbf_link::link::{MM_REGION, OP_CALL, OP_CALLX, OP_LDDW, R_BPF_64_32};
use sbf_link::{relink, LinkError};

/// Compiles `tests/fixtures/<name>.ll` to a BPF relocatable object.
fn compile(name: &str) -> Vec<u8> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.ll"));
    // One file per call: tests (and test runs) go in parallel and two may
    // compile the same fixture, so a shared path lets one read the other's
    // half-written object.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sbf-link-{name}-{}-{call}.o", std::process::id()));
    let status = Command::new("llc-22")
        .args(["-march=bpfel", "-mcpu=v2", "-filetype=obj"])
        .arg(&fixture)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("llc-22 must be installed (Debian package llvm-22)");
    assert!(status.success(), "llc-22 failed on {}", fixture.display());
    let object = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    object
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn imm(bytes: &[u8], at: usize) -> i32 {
    u32_at(bytes, at + 4) as i32
}

/// One instruction of the output `.text`.
#[derive(Debug, Clone, Copy)]
struct Insn {
    /// Address (= file offset).
    address: u64,
    opcode: u8,
    regs: u8,
    imm: i32,
    /// For lddw: the full 64-bit constant.
    wide: Option<u64>,
}

/// The relinked file, parsed and checked against the loader's rules.
struct Output {
    bytes: Vec<u8>,
    text_address: u64,
    text: Vec<Insn>,
    rodata: (u64, u64),
    syscalls: Vec<String>,
    /// (offset, .dynsym index) of every .rel.dyn entry.
    dynamic_relocations: Vec<(u64, usize)>,
}

impl Output {
    fn calls(&self) -> Vec<Insn> {
        self.text
            .iter()
            .copied()
            .filter(|i| i.opcode == OP_CALL)
            .collect()
    }

    fn lddws(&self) -> Vec<Insn> {
        self.text
            .iter()
            .copied()
            .filter(|i| i.opcode == OP_LDDW)
            .collect()
    }

    /// `len` bytes of .rodata at a VM address (0x1_0000_0000 + file offset).
    fn rodata_at(&self, vm_address: u64, len: usize) -> &[u8] {
        let address = vm_address
            .checked_sub(MM_REGION)
            .expect("pointer below MM_REGION");
        let (start, size) = self.rodata;
        assert!(
            address >= start && address + len as u64 <= start + size,
            "{vm_address:#x} is not in .rodata"
        );
        &self.bytes[address as usize..address as usize + len]
    }
}

/// Parses the shared object and asserts what the SBPF v0 loader requires.
fn check_loader_rules(bytes: Vec<u8>) -> Output {
    // ELF64 little-endian, OS ABI none.
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(bytes[4], elf::ELFCLASS64);
    assert_eq!(bytes[5], elf::ELFDATA2LSB);
    assert_eq!(bytes[7], elf::ELFOSABI_NONE);
    let file = ElfFile64::<LittleEndian>::parse(&*bytes).expect("output parses as ELF64");
    let header = file.elf_header();
    let e = LittleEndian;
    assert_eq!(header.e_type.get(e), elf::ET_DYN, "ET_DYN");
    assert_eq!(header.e_machine.get(e), elf::EM_BPF, "EM_BPF");
    assert_eq!(header.e_flags.get(e), 0, "e_flags = SBPF v0");

    let texts: Vec<_> = file
        .sections()
        .filter(|s| s.name() == Ok(".text"))
        .collect();
    assert_eq!(texts.len(), 1, "exactly one .text");
    let text = &texts[0];
    let entry = header.e_entry.get(e);
    assert!(
        entry >= text.address() && entry < text.address() + text.size(),
        "e_entry {entry:#x} inside .text"
    );
    assert_eq!((entry - text.address()) % 8, 0, "e_entry on an instruction");

    for section in file.sections() {
        let name = section.name().unwrap().to_string();
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            unreachable!()
        };
        if sh_flags & u64::from(elf::SHF_ALLOC) != 0 {
            let (offset, _) = section.file_range().unwrap();
            assert_eq!(section.address(), offset, "{name}: sh_addr == sh_offset");
        }
        if sh_flags & u64::from(elf::SHF_WRITE) != 0 {
            assert_eq!(name, ".dynamic", "no writable section but .dynamic");
        }
        assert!(
            !name.starts_with(".bss") && !name.starts_with(".data"),
            "{name}: the loader rejects .bss/.data"
        );
    }

    let text_bytes = text.data().unwrap();
    let insns = decode(text.address(), text_bytes);
    let rodata = file
        .section_by_name(".rodata")
        .map(|s| (s.address(), s.size()))
        .expect(".rodata");

    let syscalls: Vec<String> = file
        .dynamic_symbols()
        .map(|s| s.name().unwrap().to_string())
        .collect();
    let mut dynamic_relocations = Vec::new();
    for (offset, relocation) in file.dynamic_relocations().into_iter().flatten() {
        assert_eq!(
            relocation.flags(),
            RelocationFlags::Elf {
                r_type: R_BPF_64_32
            }
        );
        let RelocationTarget::Symbol(symbol) = relocation.target() else {
            panic!("relocation without symbol")
        };
        // Every .rel.dyn entry is a syscall: a call insn whose imm is -1.
        let insn = insns
            .iter()
            .find(|i| i.address == offset)
            .unwrap_or_else(|| {
                panic!(".rel.dyn offset {offset:#x} is not an instruction in .text")
            });
        assert_eq!(
            insn.opcode, OP_CALL,
            ".rel.dyn entry at {offset:#x} on a call"
        );
        assert_eq!(insn.imm, -1, ".rel.dyn entry at {offset:#x}: imm -1");
        dynamic_relocations.push((offset, symbol.0));
    }
    // Conversely, a call with imm -1 without a .rel.dyn entry could not be
    // resolved, and a pc-relative call must land inside .text.
    let text_range = text.address()..text.address() + text.size();
    for call in insns.iter().filter(|i| i.opcode == OP_CALL) {
        if call.imm == -1 {
            assert!(dynamic_relocations.iter().any(|(o, _)| *o == call.address));
        } else {
            let target = call_target(call);
            assert!(
                text_range.contains(&target),
                "call at {:#x} leaves .text",
                call.address
            );
        }
    }

    Output {
        text_address: text.address(),
        bytes: bytes.clone(),
        text: insns,
        rodata,
        syscalls,
        dynamic_relocations,
    }
}

fn decode(address: u64, text: &[u8]) -> Vec<Insn> {
    let mut insns = Vec::new();
    let mut at = 0;
    while at + 8 <= text.len() {
        let opcode = text[at];
        let wide = (opcode == OP_LDDW)
            .then(|| u64::from(u32_at(text, at + 4)) | (u64::from(u32_at(text, at + 12)) << 32));
        insns.push(Insn {
            address: address + at as u64,
            opcode,
            regs: text[at + 1],
            imm: imm(text, at),
            wide,
        });
        at += if opcode == OP_LDDW { 16 } else { 8 };
    }
    insns
}

/// Where a pc-relative call goes: pc + 8 + imm * 8.
fn call_target(call: &Insn) -> u64 {
    (call.address as i64 + 8 + i64::from(call.imm) * 8) as u64
}

/// Output addresses of the input's functions, from the documented layout:
/// the input's code sections are concatenated in order, each 8-aligned,
/// starting at the output `.text`.
fn function_addresses(object: &[u8], text_address: u64) -> BTreeMap<String, u64> {
    let file = ElfFile64::<LittleEndian>::parse(object).unwrap();
    let mut section_start = BTreeMap::new();
    let mut next = text_address;
    for section in file.sections() {
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            unreachable!()
        };
        if sh_flags & u64::from(elf::SHF_EXECINSTR) != 0 && section.size() > 0 {
            next = next.div_ceil(8) * 8;
            section_start.insert(section.index().0, next);
            next += section.size();
        }
    }
    file.symbols()
        .filter(|s| s.kind() == object::SymbolKind::Text)
        .map(|s| {
            let start = section_start[&s.section_index().unwrap().0];
            (s.name().unwrap().to_string(), start + s.address())
        })
        .collect()
}

fn relink_fixture(name: &str) -> (Vec<u8>, Output) {
    let object = compile(name);
    let shared = relink(&object, "entrypoint").unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(shared.summary.text_len, {
        let file = ElfFile64::<LittleEndian>::parse(&*shared.bytes).unwrap();
        file.section_by_name(".text").unwrap().size() as usize
    });
    (object, check_loader_rules(shared.bytes))
}

#[test]
fn syscall_becomes_a_dynamic_relocation() {
    let (_, out) = relink_fixture("syscall");
    assert_eq!(out.syscalls, vec!["sol_log_"]);
    // Both calls to sol_log_ share the one .dynsym entry (index 1).
    let calls = out.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        out.dynamic_relocations,
        calls.iter().map(|c| (c.address, 1)).collect::<Vec<_>>()
    );
    // The message pointer is an lddw of .rodata: 0x1_0000_0000 + address.
    for lddw in out.lddws() {
        assert_eq!(out.rodata_at(lddw.wide.unwrap(), 5), b"hello");
    }
}

#[test]
fn internal_calls_are_pc_relative() {
    let (object, out) = relink_fixture("internal_call");
    assert!(out.syscalls.is_empty());
    assert!(out.dynamic_relocations.is_empty());
    let functions = function_addresses(&object, out.text_address);
    // In address order: entrypoint calls helper, twice, cold_path; then
    // cold_path (in .text.unlikely., after .text) calls twice.
    let expected: Vec<u64> = ["helper", "twice", "cold_path", "twice"]
        .iter()
        .map(|f| functions[*f])
        .collect();
    let calls = out.calls();
    let targets: Vec<u64> = calls.iter().map(call_target).collect();
    assert_eq!(targets, expected, "functions: {functions:x?}");
    for (call, target) in calls.iter().zip(&expected) {
        assert_eq!(
            i64::from(call.imm),
            (*target as i64 - (call.address as i64 + 8)) / 8
        );
    }
}

#[test]
fn lddw_points_into_rodata() {
    let (_, out) = relink_fixture("rodata_lddw");
    let mut tables: Vec<Vec<u64>> = out
        .lddws()
        .iter()
        .map(|lddw| {
            let bytes = out.rodata_at(lddw.wide.unwrap(), 24);
            (0..3).map(|i| u64_at(bytes, i * 8)).collect()
        })
        .collect();
    tables.sort();
    // `second` starts 24 bytes into the input .rodata: the implicit addend.
    assert_eq!(tables, vec![vec![11, 22, 33], vec![101, 102, 103]]);
}

#[test]
fn callx_through_a_function_table() {
    let (object, out) = relink_fixture("callx");
    let functions = function_addresses(&object, out.text_address);

    // The table holds 0x1_0000_0000 + the functions' addresses.
    let lddws = out.lddws();
    assert_eq!(lddws.len(), 1);
    let table = out.rodata_at(lddws[0].wide.unwrap(), 16);
    assert_eq!(u64_at(table, 0), MM_REGION + functions["add_one"]);
    assert_eq!(u64_at(table, 8), MM_REGION + functions["double"]);

    // callx: upstream LLVM put the register in dst; SBPF v0 reads imm.
    let callx: Vec<Insn> = out
        .text
        .iter()
        .copied()
        .filter(|i| i.opcode == OP_CALLX)
        .collect();
    assert_eq!(callx.len(), 1);
    let register = callx[0].regs & 0x0f;
    let input_offset = (callx[0].address - out.text_address) as usize;
    let input_text = {
        let file = ElfFile64::<LittleEndian>::parse(&*object).unwrap();
        file.section_by_name(".text")
            .unwrap()
            .data()
            .unwrap()
            .to_vec()
    };
    assert_eq!(input_text[input_offset], OP_CALLX);
    assert_eq!(
        input_text[input_offset + 1] & 0x0f,
        register,
        "input: register in dst"
    );
    assert_eq!(imm(&input_text, input_offset), 0, "input: imm 0");
    assert!(register <= 9);
    assert_eq!(callx[0].imm, i32::from(register), "output: register in imm");
}

#[test]
fn writable_globals_are_rejected() {
    let object = compile("writable");
    let err = relink(&object, "entrypoint").unwrap_err();
    assert_eq!(
        err,
        LinkError::WritableSection {
            sections: vec![".bss".into(), ".data".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "writable data is not supported by SBPF (no mutable statics): section(s) .bss, .data"
    );
}

#[test]
fn missing_entry_is_reported() {
    let object = compile("syscall");
    assert_eq!(
        relink(&object, "process_instruction").unwrap_err(),
        LinkError::MissingEntry {
            symbol: "process_instruction".into()
        }
    );
}
