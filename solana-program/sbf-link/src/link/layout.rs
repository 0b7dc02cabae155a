//! Decides which input sections go to the output and where.
//!
//! The SBPF v0 loader (anza-xyz/sbpf `src/elf.rs`, lenient parser) wants one
//! `.text` and maps the read-only sections named `.text`, `.rodata`,
//! `.data.rel.ro` and `.eh_frame` at `0x1_0000_0000 + sh_addr`, requiring
//! `sh_addr == sh_offset`. So every executable input section is concatenated
//! into the output `.text`, every read-only one into the output `.rodata`,
//! and an output section's address is its file offset.

use std::collections::BTreeMap;

use object::elf;

use super::input::{Definition, InputObject, Section};
use super::LinkError;

/// One of the two output regions that receive input sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    Text,
    Rodata,
}

/// Where an input section landed: its region and offset inside that region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    pub region: Region,
    pub offset: u64,
}

/// The output `.text` and `.rodata` contents and their addresses
/// (= file offsets), with a map from input section index to placement.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub text_address: u64,
    pub text: Vec<u8>,
    pub rodata_address: u64,
    pub rodata: Vec<u8>,
    placements: BTreeMap<usize, Placement>,
}

impl Layout {
    pub fn placement(&self, section: usize) -> Option<Placement> {
        self.placements.get(&section).copied()
    }

    /// Address (= file offset) of an input section in the output.
    pub fn section_address(&self, section: usize) -> Option<u64> {
        self.placement(section)
            .map(|p| self.region_address(p.region) + p.offset)
    }

    pub fn region_address(&self, region: Region) -> u64 {
        match region {
            Region::Text => self.text_address,
            Region::Rodata => self.rodata_address,
        }
    }

    pub fn region_mut(&mut self, region: Region) -> &mut Vec<u8> {
        match region {
            Region::Text => &mut self.text,
            Region::Rodata => &mut self.rodata,
        }
    }

    /// Whether `address` is inside the output `.text`.
    pub fn text_contains(&self, address: u64) -> bool {
        address >= self.text_address && address < self.text_address + self.text.len() as u64
    }
}

/// Input section indices that go to `.text` and to `.rodata`, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classification {
    pub text: Vec<usize>,
    pub rodata: Vec<usize>,
}

/// Sorts the loadable input sections into code and read-only data, and
/// rejects writable data: SBPF v0 maps no writable memory for the program
/// image, and the loader refuses `.bss*` and writable `.data*` sections.
pub(crate) fn classify(input: &InputObject<'_>) -> Result<Classification, LinkError> {
    let mut text = Vec::new();
    let mut rodata = Vec::new();
    let mut writable = Vec::new();
    for (index, section) in input.sections.iter().enumerate() {
        // Empty sections (e.g. the empty `.text` next to `.text.<fn>` ones)
        // contribute nothing; non-alloc ones (.BTF, debug info) are dropped.
        if !section.is_alloc() || section.size == 0 {
            continue;
        }
        if section.is_exec() && section.sh_type == elf::SHT_PROGBITS {
            text.push(index);
        } else if !is_writable_data(section) {
            rodata.push(index);
        } else {
            writable.push(section.name.clone());
        }
    }
    if !writable.is_empty() {
        return Err(LinkError::WritableSection { sections: writable });
    }
    if let Some(common) = input
        .symbols
        .iter()
        .find(|s| s.definition == Definition::Common)
    {
        return Err(LinkError::CommonSymbol {
            symbol: common.name.clone(),
        });
    }
    if text.is_empty() {
        return Err(LinkError::NoText);
    }
    Ok(Classification { text, rodata })
}

/// Writable or zero-initialised data, i.e. a mutable static. `.data.rel.ro*`
/// is writable in a relocatable object only so a dynamic linker could patch
/// it; once we resolve its relocations statically it is read-only, and the
/// loader accepts `.data.rel*` (and maps `.data.rel.ro` read-only).
fn is_writable_data(section: &Section<'_>) -> bool {
    let written = section.is_writable() || section.sh_type == elf::SHT_NOBITS;
    written && !section.name.starts_with(".data.rel.ro")
}

/// Lays `.text` out at `start` (the first byte after the ELF and program
/// headers) and `.rodata` right after it.
pub(crate) fn lay_out(input: &InputObject<'_>, classes: &Classification, start: u64) -> Layout {
    let mut placements = BTreeMap::new();

    // BPF instructions are 8 bytes; keep every code section 8-aligned so the
    // concatenation stays a valid instruction stream.
    let text_address = align_up(start, 8);
    let mut text = Vec::new();
    for &index in &classes.text {
        let offset = align_up(text.len() as u64, 8);
        pad_to(&mut text, offset);
        placements.insert(
            index,
            Placement {
                region: Region::Text,
                offset,
            },
        );
        text.extend_from_slice(input.sections[index].data);
    }

    // Read-only data keeps each input section's own alignment, measured on
    // the final address (which is what the program sees, minus 0x1_0000_0000).
    let rodata_address = align_up(text_address + text.len() as u64, 8);
    let mut rodata = Vec::new();
    for &index in &classes.rodata {
        let section = &input.sections[index];
        let here = rodata_address + rodata.len() as u64;
        let offset = align_up(here, section.align.max(1)) - rodata_address;
        pad_to(&mut rodata, offset);
        placements.insert(
            index,
            Placement {
                region: Region::Rodata,
                offset,
            },
        );
        rodata.extend_from_slice(section.data);
    }
    // Keep `.rodata` non-empty so the output always has the same shape
    // (section and segment list), as the prototype that ran in LiteSVM did.
    if rodata.is_empty() {
        rodata.resize(8, 0);
    }

    Layout {
        text_address,
        text,
        rodata_address,
        rodata,
        placements,
    }
}

pub(crate) fn align_up(value: u64, align: u64) -> u64 {
    value.div_ceil(align) * align
}

fn pad_to(buf: &mut Vec<u8>, len: u64) {
    buf.resize(len as usize, 0);
}

#[cfg(test)]
mod tests {
    use super::super::input::{InputObject, Section, Symbol};
    use super::*;

    fn section(
        name: &str,
        sh_type: u32,
        flags: u32,
        align: u64,
        data: &'static [u8],
    ) -> Section<'static> {
        Section {
            name: name.to_string(),
            sh_type,
            flags: u64::from(flags),
            align,
            size: data.len() as u64,
            data,
        }
    }

    fn object(sections: Vec<Section<'static>>) -> InputObject<'static> {
        let mut all = vec![section("", elf::SHT_NULL, 0, 0, b"")];
        all.extend(sections);
        InputObject {
            sections: all,
            symbols: Vec::new(),
            relocation_sets: Vec::new(),
        }
    }

    const AX: u32 = elf::SHF_ALLOC | elf::SHF_EXECINSTR;
    const A: u32 = elf::SHF_ALLOC;
    const WA: u32 = elf::SHF_ALLOC | elf::SHF_WRITE;

    #[test]
    fn concatenates_code_and_readonly_data_with_alignment() {
        let input = object(vec![
            section(".text", elf::SHT_PROGBITS, AX, 8, b""),
            section(".text.a", elf::SHT_PROGBITS, AX, 8, &[1; 16]),
            section(".text.b", elf::SHT_PROGBITS, AX, 8, &[2; 8]),
            section(".rodata.str1.1", elf::SHT_PROGBITS, A, 1, b"abc"),
            section(".data.rel.ro", elf::SHT_PROGBITS, WA, 8, &[3; 8]),
            section(".BTF", elf::SHT_PROGBITS, 0, 4, &[9; 4]),
        ]);
        let classes = classify(&input).unwrap();
        assert_eq!(classes.text, vec![2, 3]);
        assert_eq!(classes.rodata, vec![4, 5]);

        let layout = lay_out(&input, &classes, 288);
        assert_eq!(layout.text_address, 288);
        assert_eq!(layout.text.len(), 24);
        assert_eq!(layout.section_address(2), Some(288));
        assert_eq!(layout.section_address(3), Some(288 + 16));
        assert_eq!(layout.rodata_address, 288 + 24);
        assert_eq!(layout.section_address(4), Some(312));
        // .data.rel.ro is 8-aligned: 312 + 3 rounds up to 320.
        assert_eq!(layout.section_address(5), Some(320));
        assert_eq!(&layout.rodata[..3], b"abc");
        assert_eq!(&layout.rodata[3..8], &[0; 5]);
        assert_eq!(&layout.rodata[8..], &[3; 8]);
        assert_eq!(layout.section_address(6), None, ".BTF is not loaded");
        assert!(layout.text_contains(288 + 23));
        assert!(!layout.text_contains(312));
    }

    #[test]
    fn empty_rodata_becomes_eight_zero_bytes() {
        let input = object(vec![section(
            ".text",
            elf::SHT_PROGBITS,
            AX,
            8,
            &[0x95, 0, 0, 0, 0, 0, 0, 0],
        )]);
        let layout = lay_out(&input, &classify(&input).unwrap(), 288);
        assert_eq!(layout.rodata, vec![0; 8]);
        assert_eq!(layout.rodata_address, 296);
    }

    #[test]
    fn rejects_data_and_bss_naming_them() {
        let input = object(vec![
            section(".text", elf::SHT_PROGBITS, AX, 8, &[0; 8]),
            section(".data", elf::SHT_PROGBITS, WA, 8, &[1; 8]),
            Section {
                sh_type: elf::SHT_NOBITS,
                size: 16,
                ..section(".bss", elf::SHT_NOBITS, WA, 8, b"")
            },
        ]);
        assert_eq!(
            classify(&input).unwrap_err(),
            LinkError::WritableSection {
                sections: vec![".data".into(), ".bss".into()]
            }
        );
    }

    #[test]
    fn rejects_common_symbols() {
        let mut input = object(vec![section(".text", elf::SHT_PROGBITS, AX, 8, &[0; 8])]);
        input.symbols.push(Symbol {
            name: "COUNTER".into(),
            st_type: elf::STT_OBJECT,
            definition: Definition::Common,
            value: 8,
        });
        assert_eq!(
            classify(&input).unwrap_err(),
            LinkError::CommonSymbol {
                symbol: "COUNTER".into()
            }
        );
    }

    #[test]
    fn rejects_object_without_code() {
        let input = object(vec![section(".rodata", elf::SHT_PROGBITS, A, 1, b"x")]);
        assert_eq!(classify(&input).unwrap_err(), LinkError::NoText);
    }
}
