//! Applies the input object's relocations to the laid-out `.text` and
//! `.rodata`, and rewrites `callx` for SBPF v0.
//!
//! Everything is resolved statically except calls to undefined symbols: those
//! are syscalls, which the loader resolves by name (anza-xyz/sbpf
//! `src/elf.rs`, `relocate`: an `R_BPF_64_32` in `.rel.dyn` against a
//! `.dynsym` entry makes it write murmur3(name) into the call's imm).

use super::input::{Definition, InputObject, Relocation, Symbol};
use super::layout::{Layout, Placement};
use super::LinkError;

/// Virtual address at which the loader maps the program image: a pointer
/// into `.rodata` (or a function pointer) is `MM_REGION + address`.
pub const MM_REGION: u64 = 0x1_0000_0000;

/// BPF relocation types (LLVM `BPFELFObjectWriter`).
pub const R_BPF_64_64: u32 = 1;
pub const R_BPF_64_ABS64: u32 = 2;
pub const R_BPF_64_ABS32: u32 = 3;
pub const R_BPF_64_NODYLD32: u32 = 4;
pub const R_BPF_64_32: u32 = 10;

/// `call imm` (BPF_JMP | BPF_CALL).
pub const OP_CALL: u8 = 0x85;
/// `callx` (BPF_JMP | BPF_CALL | BPF_X).
pub const OP_CALLX: u8 = 0x8d;
/// `lddw` (BPF_LD | BPF_IMM | BPF_DW): two instruction slots.
pub const OP_LDDW: u8 = 0x18;

const INSN_SIZE: u64 = 8;
/// The call imm the loader reads as "syscall: look me up in .rel.dyn".
const SYSCALL_IMM: i32 = -1;

/// Syscalls found while relocating: the `.dynsym` names and the calls that
/// need a dynamic `R_BPF_64_32`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Syscalls {
    /// Names in order of first use; `.dynsym` index = position + 1
    /// (index 0 is the null symbol).
    pub names: Vec<String>,
    /// (address of the call instruction, `.dynsym` index).
    pub calls: Vec<(u64, u32)>,
}

impl Syscalls {
    fn record_call(&mut self, name: &str, call_address: u64) {
        let position = match self.names.iter().position(|n| n == name) {
            Some(position) => position,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        };
        self.calls.push((call_address, position as u32 + 1));
    }
}

/// The relocation types this relinker applies.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// R_BPF_64_64: address loaded by `lddw`.
    Lddw,
    /// R_BPF_64_ABS64: 64-bit pointer in data.
    Abs64,
    /// R_BPF_64_ABS32: 32-bit address in data.
    Abs32,
    /// R_BPF_64_32: `call imm`.
    Call,
}

/// A relocation's symbol, resolved against the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Undefined,
    Address(u64),
}

/// Applies every relocation whose target section is in the output.
/// Relocations for dropped sections (.BTF.ext, debug info) are ignored.
pub(crate) fn apply_relocations(
    input: &InputObject<'_>,
    layout: &mut Layout,
) -> Result<Syscalls, LinkError> {
    let mut syscalls = Syscalls::default();
    for set in &input.relocation_sets {
        let Some(placement) = layout.placement(set.target) else {
            continue;
        };
        let section = input.section_name(set.target);
        for relocation in &set.relocations {
            apply_one(input, layout, placement, section, relocation, &mut syscalls)?;
        }
    }
    Ok(syscalls)
}

fn apply_one(
    input: &InputObject<'_>,
    layout: &mut Layout,
    placement: Placement,
    section: &str,
    relocation: &Relocation,
    syscalls: &mut Syscalls,
) -> Result<(), LinkError> {
    let symbol = &relocation.symbol;
    let kind = match relocation.r_type {
        R_BPF_64_64 => Kind::Lddw,
        R_BPF_64_ABS64 => Kind::Abs64,
        R_BPF_64_ABS32 => Kind::Abs32,
        R_BPF_64_32 => Kind::Call,
        // "No dynamic linker": only used by BTF/debug data, which carries
        // section-relative offsets that need no fixing in a loaded image.
        R_BPF_64_NODYLD32 => return Ok(()),
        r_type => {
            return Err(LinkError::UnsupportedRelocation {
                r_type,
                symbol: symbol.name.clone(),
                section: section.to_string(),
            })
        }
    };
    let target = resolve(input, layout, symbol)?;
    let region_address = layout.region_address(placement.region);
    let text_range = (layout.text_address, layout.text.len() as u64);
    let place = placement.offset.saturating_add(relocation.offset);
    let buf = layout.region_mut(placement.region);
    let buf_len = buf.len() as u64;
    let checked_place = |size: u64| {
        if place.checked_add(size).is_none_or(|end| end > buf_len) {
            Err(LinkError::RelocationOutOfBounds {
                section: section.to_string(),
                offset: relocation.offset,
            })
        } else {
            Ok(place as usize)
        }
    };

    match kind {
        Kind::Lddw => {
            let p = checked_place(16)?;
            let Target::Address(s) = target else {
                return Err(LinkError::LddwOfUndefined {
                    symbol: symbol.name.clone(),
                });
            };
            apply_lddw(buf, p, s, relocation.addend);
        }
        Kind::Abs64 => {
            let p = checked_place(8)?;
            let Target::Address(s) = target else {
                return Err(LinkError::DataPointerToUndefined {
                    symbol: symbol.name.clone(),
                });
            };
            apply_abs64(buf, p, s, relocation.addend);
        }
        Kind::Abs32 => {
            let p = checked_place(4)?;
            let Target::Address(s) = target else {
                return Err(LinkError::DataPointerToUndefined {
                    symbol: symbol.name.clone(),
                });
            };
            apply_abs32(buf, p, s, relocation.addend);
        }
        Kind::Call => {
            let p = checked_place(INSN_SIZE)?;
            if buf[p] != OP_CALL {
                return Err(LinkError::NotACall {
                    symbol: symbol.name.clone(),
                    section: section.to_string(),
                    offset: relocation.offset,
                });
            }
            let call_address = region_address + place;
            match target {
                Target::Undefined => {
                    set_imm(buf, p, SYSCALL_IMM);
                    syscalls.record_call(&symbol.name, call_address);
                }
                Target::Address(s) => {
                    let call = Call {
                        call_address,
                        symbol_address: s,
                        symbol,
                        addend: relocation.addend,
                    };
                    let imm = call.pc_relative_imm(get_imm(buf, p), text_range)?;
                    set_imm(buf, p, imm);
                }
            }
        }
    }
    Ok(())
}

fn resolve(input: &InputObject<'_>, layout: &Layout, symbol: &Symbol) -> Result<Target, LinkError> {
    match symbol.definition {
        Definition::Undefined => Ok(Target::Undefined),
        Definition::Section(index) => layout
            .section_address(index)
            .map(|address| Target::Address(address + symbol.value))
            .ok_or_else(|| LinkError::SymbolNotLoaded {
                symbol: symbol.name.clone(),
                section: input.section_name(index).to_string(),
            }),
        Definition::Common => Err(LinkError::CommonSymbol {
            symbol: symbol.name.clone(),
        }),
        Definition::Other(shndx) => Err(LinkError::SymbolNotLoaded {
            symbol: symbol.name.clone(),
            section: format!("SHN {shndx:#x}"),
        }),
    }
}

/// R_BPF_64_64 on `lddw`: the 64-bit address is split over the imm fields
/// of the two slots. The implicit addend is the first slot's imm (a section
/// offset when the symbol is a section symbol).
pub(crate) fn apply_lddw(buf: &mut [u8], p: usize, s: u64, addend: Option<i64>) {
    let a = addend.unwrap_or_else(|| u64::from(read_u32(buf, p + 4)) as i64);
    let value = MM_REGION.wrapping_add(s).wrapping_add_signed(a);
    write_u32(buf, p + 4, value as u32);
    write_u32(buf, p + 12, (value >> 32) as u32);
}

/// R_BPF_64_ABS64: a 64-bit pointer in data (vtables, `&'static` tables).
pub(crate) fn apply_abs64(buf: &mut [u8], p: usize, s: u64, addend: Option<i64>) {
    let a = addend.unwrap_or_else(|| read_u64(buf, p) as i64);
    let value = MM_REGION.wrapping_add(s).wrapping_add_signed(a);
    buf[p..p + 8].copy_from_slice(&value.to_le_bytes());
}

/// R_BPF_64_ABS32: a 32-bit address, written as the output address without
/// the region base (as the prototype does; only 32 bits fit).
pub(crate) fn apply_abs32(buf: &mut [u8], p: usize, s: u64, addend: Option<i64>) {
    let a = addend.unwrap_or_else(|| i64::from(read_u32(buf, p) as i32));
    let value = s.wrapping_add_signed(a);
    write_u32(buf, p, value as u32);
}

/// A call to a function defined in the object.
pub(crate) struct Call<'a> {
    pub call_address: u64,
    pub symbol_address: u64,
    pub symbol: &'a Symbol,
    pub addend: Option<i64>,
}

impl Call<'_> {
    /// The loader treats a call imm other than -1 as pc-relative in
    /// instructions: target = pc + 1 + imm.
    pub fn pc_relative_imm(&self, current_imm: i32, text: (u64, u64)) -> Result<i32, LinkError> {
        let target = self.target(current_imm);
        let (text_start, text_len) = (text.0 as i64, text.1 as i64);
        let invalid = || LinkError::InvalidCallTarget {
            symbol: self.symbol.name.clone(),
            target,
        };
        if target < text_start || target >= text_start + text_len || (target - text_start) % 8 != 0
        {
            return Err(invalid());
        }
        let delta = target - (self.call_address as i64 + INSN_SIZE as i64);
        let imm = i32::try_from(delta / INSN_SIZE as i64).map_err(|_| invalid())?;
        if imm == SYSCALL_IMM {
            return Err(LinkError::CallToSelf {
                symbol: self.symbol.name.clone(),
                offset: self.call_address - text.0,
            });
        }
        Ok(imm)
    }

    /// Byte address the call goes to. For a section symbol LLVM leaves the
    /// callee's position in the imm as `offset / 8 - 1` (the form the BPF
    /// `call` uses), so the target is S + (imm + 1) * 8; for a named
    /// function symbol the target is S itself.
    fn target(&self, current_imm: i32) -> i64 {
        let s = self.symbol_address as i64;
        match self.addend {
            Some(a) => s + a,
            None if self.symbol.is_section() => s + (i64::from(current_imm) + 1) * INSN_SIZE as i64,
            None => s,
        }
    }
}

/// Checks every `call imm` in the final `.text` the way the loader will read
/// it (`relocate` in anza-xyz/sbpf `src/elf.rs`): imm -1 means "syscall, see
/// `.rel.dyn`", any other imm is a pc-relative call that must land in
/// `.text`. This also covers calls that llc resolved itself (same-section
/// calls carry no relocation), which `apply_relocations` never sees.
pub(crate) fn check_calls(
    text: &[u8],
    text_address: u64,
    syscalls: &Syscalls,
) -> Result<(), LinkError> {
    let count = text.len() as i64 / INSN_SIZE as i64;
    let mut i = 0usize;
    while i + INSN_SIZE as usize <= text.len() {
        let opcode = text[i];
        let address = text_address + i as u64;
        if opcode == OP_CALL {
            let imm = get_imm(text, i);
            let pc = (i as u64 / INSN_SIZE) as i64;
            let target_pc = pc + 1 + i64::from(imm);
            let local = || format!("local call at .text+{i:#x}");
            if imm == SYSCALL_IMM {
                if !syscalls.calls.iter().any(|&(call, _)| call == address) {
                    return Err(LinkError::CallToSelf {
                        symbol: local(),
                        offset: i as u64,
                    });
                }
            } else if !(0..count).contains(&target_pc) {
                return Err(LinkError::InvalidCallTarget {
                    symbol: local(),
                    target: text_address as i64 + target_pc * INSN_SIZE as i64,
                });
            }
        }
        i += if opcode == OP_LDDW { 16 } else { 8 };
    }
    Ok(())
}

/// Upstream LLVM encodes `callx rN` with N in the dst register field; SBPF v0
/// reads the register number from imm (`reg[insn.imm]`), so copy it there.
/// The scan steps over the second slot of every `lddw`, whose bytes are half
/// of a 64-bit constant, not an instruction. Returns how many were fixed.
pub(crate) fn fix_callx(text: &mut [u8]) -> usize {
    let mut fixed = 0;
    let mut i = 0;
    while i + INSN_SIZE as usize <= text.len() {
        let opcode = text[i];
        if opcode == OP_CALLX {
            let dst = text[i + 1] & 0x0f;
            set_imm(text, i, i32::from(dst));
            fixed += 1;
        }
        i += if opcode == OP_LDDW { 16 } else { 8 };
    }
    fixed
}

pub(crate) fn get_imm(buf: &[u8], insn: usize) -> i32 {
    read_u32(buf, insn + 4) as i32
}

pub(crate) fn set_imm(buf: &mut [u8], insn: usize, imm: i32) {
    write_u32(buf, insn + 4, imm as u32);
}

fn read_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"))
}

fn read_u64(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
}

fn write_u32(buf: &mut [u8], at: usize, value: u32) {
    buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::super::input::Definition;
    use super::*;
    use object::elf;

    fn insn(opcode: u8, regs: u8, imm: i32) -> [u8; 8] {
        let mut bytes = [opcode, regs, 0, 0, 0, 0, 0, 0];
        bytes[4..].copy_from_slice(&imm.to_le_bytes());
        bytes
    }

    fn symbol(name: &str, st_type: u8) -> Symbol {
        Symbol {
            name: name.to_string(),
            st_type,
            definition: Definition::Section(1),
            value: 0,
        }
    }

    #[test]
    fn lddw_gets_region_address_plus_implicit_addend_split_over_both_slots() {
        let mut buf = [insn(OP_LDDW, 0x01, 0x10), insn(0, 0, 0)].concat();
        apply_lddw(&mut buf, 0, 0x200, None);
        let value = MM_REGION + 0x200 + 0x10;
        assert_eq!(get_imm(&buf, 0) as u32, value as u32);
        assert_eq!(get_imm(&buf, 8) as u32, (value >> 32) as u32);
        assert_eq!(buf[0], OP_LDDW, "opcode untouched");
        assert_eq!(buf[1], 0x01, "registers untouched");
    }

    #[test]
    fn lddw_with_explicit_addend_ignores_the_imm() {
        let mut buf = [insn(OP_LDDW, 0, 0x7777), insn(0, 0, 0)].concat();
        apply_lddw(&mut buf, 0, 0x200, Some(-8));
        assert_eq!(get_imm(&buf, 0) as u32, 0x1f8);
        assert_eq!(get_imm(&buf, 8), 1);
    }

    #[test]
    fn abs64_writes_a_full_pointer() {
        let mut buf = [0xaa; 4].to_vec();
        buf.extend_from_slice(&24u64.to_le_bytes());
        apply_abs64(&mut buf, 4, 0x1000, None);
        assert_eq!(&buf[..4], &[0xaa; 4]);
        assert_eq!(read_u64(&buf, 4), MM_REGION + 0x1000 + 24);
    }

    #[test]
    fn abs32_writes_the_address_without_region_base() {
        let mut buf = (-4i32).to_le_bytes().to_vec();
        apply_abs32(&mut buf, 0, 0x1000, None);
        assert_eq!(read_u32(&buf, 0), 0x1000 - 4);
    }

    #[test]
    fn call_to_named_function_is_pc_relative_in_instructions() {
        let callee = symbol("callee", elf::STT_FUNC);
        let call = Call {
            call_address: 0x130,
            symbol_address: 0x180,
            symbol: &callee,
            addend: None,
        };
        // (0x180 - (0x130 + 8)) / 8 = 9; LLVM leaves -1 in the imm.
        assert_eq!(call.pc_relative_imm(-1, (0x120, 0x100)), Ok(9));
        let backwards = Call {
            call_address: 0x180,
            symbol_address: 0x120,
            ..call
        };
        assert_eq!(backwards.pc_relative_imm(-1, (0x120, 0x100)), Ok(-13));
    }

    #[test]
    fn call_through_section_symbol_uses_the_implicit_addend() {
        let section = symbol(".text", elf::STT_SECTION);
        let call = Call {
            call_address: 0x128,
            symbol_address: 0x120,
            symbol: &section,
            addend: None,
        };
        // imm 3 encodes section offset (3 + 1) * 8 = 32 → target 0x140.
        assert_eq!(
            call.pc_relative_imm(3, (0x120, 0x100)),
            Ok((0x140 - 0x130) / 8)
        );
    }

    #[test]
    fn call_to_itself_is_rejected() {
        let callee = symbol("spin", elf::STT_FUNC);
        let call = Call {
            call_address: 0x140,
            symbol_address: 0x140,
            symbol: &callee,
            addend: None,
        };
        assert_eq!(
            call.pc_relative_imm(-1, (0x120, 0x100)),
            Err(LinkError::CallToSelf {
                symbol: "spin".into(),
                offset: 0x20
            })
        );
    }

    #[test]
    fn call_outside_text_or_between_instructions_is_rejected() {
        let callee = symbol("data", elf::STT_OBJECT);
        for target in [0x220, 0x100, 0x134] {
            let call = Call {
                call_address: 0x120,
                symbol_address: target,
                symbol: &callee,
                addend: None,
            };
            assert_eq!(
                call.pc_relative_imm(-1, (0x120, 0x100)),
                Err(LinkError::InvalidCallTarget {
                    symbol: "data".into(),
                    target: target as i64
                }),
                "target {target:#x}"
            );
        }
    }

    #[test]
    fn callx_register_moves_from_dst_to_imm() {
        let mut text = [
            insn(0xbf, 0x13, 0),     // mov r3, r1
            insn(OP_CALLX, 0x03, 0), // callx r3 (upstream: register in dst)
            insn(0x95, 0, 0),        // exit
        ]
        .concat();
        assert_eq!(fix_callx(&mut text), 1);
        assert_eq!(get_imm(&text, 8), 3);
        assert_eq!(get_imm(&text, 0), 0);
    }

    #[test]
    fn callx_scan_skips_the_second_slot_of_lddw() {
        // The second lddw slot holds the high half of a constant, which may
        // look like a callx opcode byte.
        let mut second_slot = insn(OP_CALLX, 0x05, 0x1234);
        second_slot[0] = OP_CALLX;
        let mut text = [insn(OP_LDDW, 0x01, 7), second_slot, insn(OP_CALLX, 0x02, 0)].concat();
        let before = text.clone();
        assert_eq!(fix_callx(&mut text), 1);
        assert_eq!(&text[..16], &before[..16], "lddw untouched");
        assert_eq!(get_imm(&text, 16), 2);
    }

    #[test]
    fn check_calls_accepts_syscalls_and_in_range_calls() {
        let text = [
            insn(OP_CALL, 0x10, -1),
            insn(OP_CALL, 0x10, 0),
            insn(0x95, 0, 0),
        ]
        .concat();
        let mut syscalls = Syscalls::default();
        syscalls.record_call("sol_log_", 0x120);
        assert_eq!(check_calls(&text, 0x120, &syscalls), Ok(()));
    }

    #[test]
    fn check_calls_rejects_unrelocated_minus_one_and_calls_leaving_text() {
        // A function whose first instruction calls itself: llc resolves it
        // to imm -1 without a relocation, which the loader would take for a
        // syscall.
        let spin = [insn(OP_CALL, 0x10, -1), insn(0x95, 0, 0)].concat();
        assert!(matches!(
            check_calls(&spin, 0x120, &Syscalls::default()),
            Err(LinkError::CallToSelf { offset: 0, .. })
        ));
        let away = [insn(0x95, 0, 0), insn(OP_CALL, 0x10, 1)].concat();
        assert!(matches!(
            check_calls(&away, 0x120, &Syscalls::default()),
            Err(LinkError::InvalidCallTarget { target: 0x138, .. })
        ));
        // The second slot of an lddw is data, not a call.
        let lddw = [insn(OP_LDDW, 0, 0), insn(OP_CALL, 0, -1), insn(0x95, 0, 0)].concat();
        assert_eq!(check_calls(&lddw, 0x120, &Syscalls::default()), Ok(()));
    }

    #[test]
    fn syscalls_share_one_dynsym_entry_per_name() {
        let mut syscalls = Syscalls::default();
        syscalls.record_call("sol_log_", 0x120);
        syscalls.record_call("sol_panic_", 0x130);
        syscalls.record_call("sol_log_", 0x140);
        assert_eq!(syscalls.names, vec!["sol_log_", "sol_panic_"]);
        assert_eq!(syscalls.calls, vec![(0x120, 1), (0x130, 2), (0x140, 1)]);
    }
}
