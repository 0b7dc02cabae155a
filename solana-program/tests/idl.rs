//! The Anchor-format IDL (`idl/loanbridge.json`) is generated from the
//! program's interface table (`loanbridge_program::idl` and
//! `loanbridge_program::error::ERRORS`): this file renders the JSON, fails
//! when the committed file differs, and checks the table against the
//! program where the compiler cannot (error names, argument layouts that
//! `LoanbridgeInstruction::unpack` must decode, PDA seeds that name real
//! arguments and accounts). The LiteSVM tests then run every IDL
//! instruction through Anchor's coder against the SBF program.
//!
//! Regenerate after a deliberate interface change with `make idl`
//! (`LOANBRIDGE_WRITE_IDL=1 cargo test --test idl` in `solana-program/`).

use std::path::PathBuf;

use loanbridge_program::error::ERRORS;
use loanbridge_program::idl::{
    self, type_size, AccountMeta, Field, Instruction, Seed, Type, TypeDef, ACCOUNTS, INSTRUCTIONS,
    TYPES,
};
use loanbridge_program::instruction::LoanbridgeInstruction;

/// A JSON value whose objects keep their keys in the order given.
enum Json {
    Str(String),
    Num(u64),
    Bool(bool),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

fn str(value: &str) -> Json {
    Json::Str(value.to_owned())
}

fn strs(values: &[&str]) -> Json {
    Json::Arr(values.iter().map(|value| str(value)).collect())
}

/// Prettier's print width (the repository's `.prettierrc.json`), which the
/// committed JSON is formatted to.
const WIDTH: usize = 100;

/// Renders `value` as Prettier formats JSON (the repository's `prettier
/// --check` covers the IDL): objects always broken one key a line, arrays
/// on one line when they fit in `WIDTH` columns with what follows them
/// (`suffix`: the comma), else one item a line.
/// `column` is where the value starts; `indent` the enclosing indentation.
fn render(value: &Json, indent: usize, column: usize, suffix: usize, out: &mut String) {
    match value {
        Json::Str(text) => out.push_str(&serde_json::to_string(text).unwrap()),
        Json::Num(number) => out.push_str(&number.to_string()),
        Json::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Json::Obj(entries) if entries.is_empty() => out.push_str("{}"),
        Json::Obj(entries) => {
            let inner = indent + 2;
            out.push_str("{\n");
            for (index, (key, entry)) in entries.iter().enumerate() {
                let comma = usize::from(index + 1 < entries.len());
                let prefix = format!("{:inner$}\"{key}\": ", "");
                out.push_str(&prefix);
                render(entry, inner, prefix.chars().count(), comma, out);
                out.push_str(if comma == 1 { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{:indent$}}}", ""));
        }
        Json::Arr(items) if items.is_empty() => out.push_str("[]"),
        Json::Arr(items) => {
            if let Some(flat) = flat(value) {
                if column + flat.chars().count() + suffix <= WIDTH {
                    out.push_str(&flat);
                    return;
                }
            }
            let inner = indent + 2;
            out.push('[');
            // Prettier fills number arrays instead (as many a line as fit);
            // no IDL array is that long yet, so render refuses rather than guess.
            assert!(
                !items.iter().all(|item| matches!(item, Json::Num(_))),
                "a number array too long for one line: teach render Prettier's fill"
            );
            for (index, item) in items.iter().enumerate() {
                let comma = usize::from(index + 1 < items.len());
                out.push_str(&format!("\n{:inner$}", ""));
                render(item, inner, inner, comma, out);
                if comma == 1 {
                    out.push(',');
                }
            }
            out.push_str(&format!("\n{:indent$}]", ""));
        }
    }
}

/// The one-line form of a value, if it has one (a non-empty object never
/// does: Prettier keeps the objects of a JSON file broken).
fn flat(value: &Json) -> Option<String> {
    match value {
        Json::Arr(items) => {
            let items: Option<Vec<String>> = items.iter().map(flat).collect();
            Some(format!("[{}]", items?.join(", ")))
        }
        Json::Obj(entries) if !entries.is_empty() => None,
        other => {
            let mut out = String::new();
            render(other, 0, 0, 0, &mut out);
            Some(out)
        }
    }
}

fn type_json(ty: &Type) -> Json {
    match ty {
        Type::U8 => str("u8"),
        Type::U16 => str("u16"),
        Type::U32 => str("u32"),
        Type::U64 => str("u64"),
        Type::I64 => str("i64"),
        Type::U128 => str("u128"),
        Type::Bool => str("bool"),
        Type::Pubkey => str("pubkey"),
        Type::Bytes => str("bytes"),
        Type::Vec(item) => Json::Obj(vec![("vec", type_json(item))]),
        Type::Array(item, len) => Json::Obj(vec![(
            "array",
            Json::Arr(vec![type_json(item), Json::Num(*len as u64)]),
        )]),
        Type::Defined(def) => {
            Json::Obj(vec![("defined", Json::Obj(vec![("name", str(def.name))]))])
        }
    }
}

fn fields_json(fields: &[Field]) -> Json {
    Json::Arr(
        fields
            .iter()
            .map(|field| {
                Json::Obj(vec![
                    ("name", str(field.name)),
                    ("type", type_json(&field.ty)),
                ])
            })
            .collect(),
    )
}

fn seed_json(seed: &Seed) -> Json {
    match seed {
        Seed::Const(bytes) => Json::Obj(vec![
            ("kind", str("const")),
            (
                "value",
                Json::Arr(bytes.iter().map(|b| Json::Num(u64::from(*b))).collect()),
            ),
        ]),
        Seed::Arg(path) => Json::Obj(vec![("kind", str("arg")), ("path", str(path))]),
        Seed::Account(path) => Json::Obj(vec![("kind", str("account")), ("path", str(path))]),
    }
}

fn account_meta_json(account: &AccountMeta) -> Json {
    let mut entries = vec![("name", str(account.name))];
    if !account.docs.is_empty() {
        entries.push(("docs", strs(account.docs)));
    }
    if account.writable {
        entries.push(("writable", Json::Bool(true)));
    }
    if account.signer {
        entries.push(("signer", Json::Bool(true)));
    }
    if let Some(address) = account.address {
        entries.push(("address", str(address)));
    }
    if !account.pda.is_empty() {
        let seeds = Json::Arr(account.pda.iter().map(seed_json).collect());
        entries.push(("pda", Json::Obj(vec![("seeds", seeds)])));
    }
    Json::Obj(entries)
}

fn instruction_json(instruction: &Instruction) -> Json {
    Json::Obj(vec![
        ("name", str(instruction.name)),
        ("docs", strs(instruction.docs)),
        (
            "discriminator",
            Json::Arr(vec![Json::Num(u64::from(instruction.discriminator))]),
        ),
        (
            "accounts",
            Json::Arr(instruction.accounts.iter().map(account_meta_json).collect()),
        ),
        ("args", fields_json(instruction.args)),
    ])
}

fn type_def_json(def: &TypeDef) -> Json {
    Json::Obj(vec![
        ("name", str(def.name)),
        ("docs", strs(def.docs)),
        ("serialization", str("bytemuck")),
        (
            "repr",
            Json::Obj(vec![("kind", str("c")), ("packed", Json::Bool(true))]),
        ),
        (
            "type",
            Json::Obj(vec![
                ("kind", str("struct")),
                ("fields", fields_json(def.fields)),
            ]),
        ),
    ])
}

/// The IDL, rendered from the table.
fn generated() -> String {
    let idl = Json::Obj(vec![
        ("address", str(idl::PROGRAM_ADDRESS)),
        (
            "metadata",
            Json::Obj(vec![
                ("name", str(idl::PROGRAM_NAME)),
                ("version", str(loanbridge_program::VERSION)),
                ("spec", str(idl::IDL_SPEC)),
                ("description", str(idl::PROGRAM_DESCRIPTION)),
            ]),
        ),
        (
            "instructions",
            Json::Arr(INSTRUCTIONS.iter().map(instruction_json).collect()),
        ),
        (
            "accounts",
            Json::Arr(
                ACCOUNTS
                    .iter()
                    .map(|account| {
                        Json::Obj(vec![
                            ("name", str(account.layout.name)),
                            (
                                "discriminator",
                                Json::Arr(vec![Json::Num(u64::from(account.discriminator))]),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "errors",
            Json::Arr(
                ERRORS
                    .iter()
                    .map(|def| {
                        Json::Obj(vec![
                            ("code", Json::Num(u64::from(def.error as u32))),
                            ("name", str(def.name)),
                            ("msg", str(def.msg)),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "types",
            Json::Arr(TYPES.iter().map(|def| type_def_json(def)).collect()),
        ),
    ]);
    let mut out = String::new();
    render(&idl, 0, 0, 0, &mut out);
    out.push('\n');
    out
}

#[test]
fn committed_idl_is_the_generated_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("idl/loanbridge.json");
    let generated = generated();
    if std::env::var_os("LOANBRIDGE_WRITE_IDL").is_some() {
        std::fs::write(&path, &generated).expect("write idl/loanbridge.json");
    }
    let committed = std::fs::read_to_string(&path).expect("idl/loanbridge.json");
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or(
                committed.lines().count().min(generated.lines().count()),
                |l| l,
            )
            + 1;
        panic!(
            "idl/loanbridge.json differs from the IDL generated from src/idl.rs and \
             src/error.rs (first at line {line}): regenerate it with `make idl` \
             (LOANBRIDGE_WRITE_IDL=1 cargo test --test idl in solana-program/)"
        );
    }
}

#[test]
fn width_is_the_repositorys_prettier_width() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.prettierrc.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect(".prettierrc.json")).unwrap();
    assert_eq!(config["printWidth"].as_u64(), Some(WIDTH as u64));
}

#[test]
fn error_names_are_the_variants_and_codes_ascend_outside_the_wire_range() {
    for def in ERRORS {
        assert_eq!(def.name, format!("{:?}", def.error));
        assert!(!def.msg.is_empty(), "{}: message", def.name);
    }
    let codes: Vec<u32> = ERRORS.iter().map(|def| def.error as u32).collect();
    assert!(codes.windows(2).all(|pair| pair[0] < pair[1]), "{codes:?}");
    assert!(codes.iter().all(|code| !(100..200).contains(code)));
}

#[test]
fn accounts_have_unique_discriminators_and_declared_layouts() {
    let mut discriminators: Vec<u8> = ACCOUNTS.iter().map(|a| a.discriminator).collect();
    discriminators.sort();
    discriminators.dedup();
    assert_eq!(discriminators.len(), ACCOUNTS.len());
    for account in ACCOUNTS {
        assert!(TYPES.contains(&account.layout), "{}", account.layout.name);
        // The header after the discriminator byte: the offsets against the
        // structs are const assertions in src/idl.rs.
        assert_eq!(account.layout.fields[0].name, "version");
        assert_eq!(account.layout.fields[1].name, "bump");
    }
}

/// Sample Borsh bytes for an argument of type `ty`.
fn sample_arg(ty: &Type, out: &mut Vec<u8>) {
    match ty {
        Type::Bool => out.push(1),
        Type::Bytes => {
            out.extend_from_slice(&2u32.to_le_bytes());
            out.extend_from_slice(&[0xab, 0xcd]);
        }
        Type::Vec(item) => {
            out.extend_from_slice(&2u32.to_le_bytes());
            for _ in 0..2 {
                sample_arg(item, out);
            }
        }
        fixed => out.extend(std::iter::repeat_n(0x01, type_size(fixed))),
    }
}

#[test]
fn instructions_have_unique_discriminators_and_decodable_arguments() {
    let mut seen = Vec::new();
    for instruction in INSTRUCTIONS {
        let name = instruction.name;
        seen.push(instruction.discriminator);

        let mut data = vec![instruction.discriminator];
        for arg in instruction.args {
            sample_arg(&arg.ty, &mut data);
        }
        assert!(
            LoanbridgeInstruction::unpack(&data).is_ok(),
            "{name}: bytes built from the table's arguments do not decode"
        );
        // One byte more or less must not decode.
        let mut longer = data.clone();
        longer.push(0);
        assert!(
            LoanbridgeInstruction::unpack(&longer).is_err(),
            "{name}: trailing byte"
        );
        if data.len() > 1 {
            assert!(
                LoanbridgeInstruction::unpack(&data[..data.len() - 1]).is_err(),
                "{name}: short"
            );
        }
    }
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "{seen:?}");
}

#[test]
fn the_table_holds_every_instruction_the_program_decodes() {
    use loanbridge_program::error::LoanbridgeError;
    for byte in 0..=u8::MAX {
        let known =
            LoanbridgeInstruction::unpack(&[byte]) != Err(LoanbridgeError::UnknownInstruction);
        let listed = INSTRUCTIONS.iter().any(|i| i.discriminator == byte);
        assert_eq!(
            known, listed,
            "discriminator {byte}: decoded {known}, in the table {listed}"
        );
    }
}

#[test]
fn pda_seeds_name_the_instructions_arguments_and_accounts() {
    for instruction in INSTRUCTIONS {
        let mut names: Vec<&str> = instruction.accounts.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            instruction.accounts.len(),
            "{}",
            instruction.name
        );
        for account in instruction.accounts {
            for seed in account.pda {
                match seed {
                    Seed::Const(bytes) => assert!(!bytes.is_empty()),
                    Seed::Arg(path) => assert!(
                        instruction.args.iter().any(|arg| arg.name == *path),
                        "{}.{}: no argument {path}",
                        instruction.name,
                        account.name
                    ),
                    Seed::Account(path) => assert!(
                        names.contains(path),
                        "{}.{}: no account {path}",
                        instruction.name,
                        account.name
                    ),
                }
            }
        }
    }
}
