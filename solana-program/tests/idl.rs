//! The Anchor-format IDL (`idl/loanbridge.json`) against the program's own
//! definitions, so neither can drift: error codes and names, account
//! discriminators and sizes, instruction discriminators, and argument
//! layouts (bytes built from each instruction's IDL argument types must
//! decode). The LiteSVM tests then run every IDL instruction through
//! Anchor's coder against the SBF program.

use std::path::PathBuf;

use loanbridge_program::error::LoanbridgeError;
use loanbridge_program::instruction::{discriminator as ix, LoanbridgeInstruction};
use loanbridge_program::state::{
    AllowedAsset, Beneficiary, CollateralConfig, Delivered, Endpoint, Layout, OutboundNonce,
    OutboundPacket, Peer, Pool, PoolLoan, Price, Vault, VaultLoan,
};
use serde_json::Value;

fn idl() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("idl/loanbridge.json");
    let text = std::fs::read_to_string(&path).expect("idl/loanbridge.json");
    serde_json::from_str(&text).expect("the IDL is JSON")
}

fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not an array"))
}

#[test]
fn errors_are_the_program_errors() {
    let idl = idl();
    let from_idl: Vec<(u64, String)> = array(&idl, "errors")
        .iter()
        .map(|e| {
            (
                e["code"].as_u64().unwrap(),
                e["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let from_rust: Vec<(u64, String)> = LoanbridgeError::ALL
        .iter()
        .map(|e| (*e as u32 as u64, format!("{e:?}")))
        .collect();
    assert_eq!(from_idl, from_rust);
}

#[test]
fn error_codes_are_unique_and_outside_the_wire_range() {
    let mut codes: Vec<u32> = LoanbridgeError::ALL.iter().map(|e| *e as u32).collect();
    assert!(codes.iter().all(|code| !(100..200).contains(code)));
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), LoanbridgeError::ALL.len());
}

/// Byte size of an IDL type (fixed-size types only; `defined` types are
/// looked up in `types`).
fn type_size(ty: &Value, types: &[Value]) -> usize {
    if let Some(name) = ty.as_str() {
        return match name {
            "u8" | "bool" => 1,
            "u16" => 2,
            "u32" => 4,
            "u64" => 8,
            "u128" => 16,
            "pubkey" => 32,
            other => panic!("no fixed size for `{other}`"),
        };
    }
    if let Some(array) = ty.get("array") {
        return type_size(&array[0], types) * array[1].as_u64().unwrap() as usize;
    }
    if let Some(name) = ty.get("defined").and_then(|defined| defined.get("name")) {
        let defined = types
            .iter()
            .find(|t| &t["name"] == name)
            .unwrap_or_else(|| panic!("no type {name}"));
        assert_eq!(defined["serialization"], "bytemuck", "{name}");
        return array(&defined["type"], "fields")
            .iter()
            .map(|f| type_size(&f["type"], types))
            .sum();
    }
    panic!("no fixed size for {ty}")
}

fn layout(name: &str) -> (u8, usize) {
    fn of<T: Layout>() -> (u8, usize) {
        (T::DISCRIMINATOR, T::LEN)
    }
    match name {
        "Endpoint" => of::<Endpoint>(),
        "Peer" => of::<Peer>(),
        "OutboundNonce" => of::<OutboundNonce>(),
        "OutboundPacket" => of::<OutboundPacket>(),
        "Delivered" => of::<Delivered>(),
        "Vault" => of::<Vault>(),
        "VaultLoan" => of::<VaultLoan>(),
        "AllowedAsset" => of::<AllowedAsset>(),
        "Pool" => of::<Pool>(),
        "PoolLoan" => of::<PoolLoan>(),
        "CollateralConfig" => of::<CollateralConfig>(),
        "Price" => of::<Price>(),
        "Beneficiary" => of::<Beneficiary>(),
        other => panic!("the IDL names an account the program does not have: {other}"),
    }
}

#[test]
fn accounts_have_the_program_layouts() {
    let idl = idl();
    let types = array(&idl, "types");
    let accounts = array(&idl, "accounts");
    assert!(!accounts.is_empty());
    for account in accounts {
        let name = account["name"].as_str().unwrap();
        let discriminator = array(account, "discriminator");
        let (rust_discriminator, rust_len) = layout(name);
        assert_eq!(discriminator.len(), 1, "{name}: 1-byte discriminator");
        assert_eq!(
            discriminator[0].as_u64(),
            Some(rust_discriminator as u64),
            "{name}"
        );
        let ty = types
            .iter()
            .find(|t| t["name"] == account["name"])
            .unwrap_or_else(|| panic!("{name}: no type"));
        assert_eq!(ty["serialization"], "bytemuck", "{name}");
        let fields = array(&ty["type"], "fields");
        assert_eq!(fields[0]["name"], "version", "{name}: header");
        assert_eq!(fields[1]["name"], "bump", "{name}: header");
        let size: usize = 1 + fields
            .iter()
            .map(|f| type_size(&f["type"], types))
            .sum::<usize>();
        assert_eq!(size, rust_len, "{name}: IDL size vs Rust layout");
    }
}

fn snake_to_upper(name: &str) -> String {
    name.to_uppercase()
}

fn rust_discriminator(name: &str) -> u8 {
    match snake_to_upper(name).as_str() {
        "VERSION" => ix::VERSION,
        "INITIALIZE_ENDPOINT" => ix::INITIALIZE_ENDPOINT,
        "SET_VERIFIER_SET" => ix::SET_VERIFIER_SET,
        "SET_PEER" => ix::SET_PEER,
        "SET_GUARDIAN" => ix::SET_GUARDIAN,
        "PAUSE" => ix::PAUSE,
        "UNPAUSE" => ix::UNPAUSE,
        "TRANSFER_ADMIN" => ix::TRANSFER_ADMIN,
        "ACCEPT_ADMIN" => ix::ACCEPT_ADMIN,
        "CLOSE_PACKET" => ix::CLOSE_PACKET,
        "DELIVER" => ix::DELIVER,
        "INITIALIZE_VAULT" => ix::INITIALIZE_VAULT,
        "SET_REQUEST_TTL" => ix::SET_REQUEST_TTL,
        "SET_ASSET_ALLOWED" => ix::SET_ASSET_ALLOWED,
        "OPEN_NATIVE" => ix::OPEN_NATIVE,
        "OPEN_TOKEN" => ix::OPEN_TOKEN,
        "INITIALIZE_POOL" => ix::INITIALIZE_POOL,
        "SET_LOAN_TERMS" => ix::SET_LOAN_TERMS,
        "SET_COLLATERAL" => ix::SET_COLLATERAL,
        "SET_BENEFICIARY" => ix::SET_BENEFICIARY,
        "SET_PRICE" => ix::SET_PRICE,
        "SET_MAX_PRICE_AGE" => ix::SET_MAX_PRICE_AGE,
        "PAUSE_POOL" => ix::PAUSE_POOL,
        "UNPAUSE_POOL" => ix::UNPAUSE_POOL,
        "DEPOSIT" => ix::DEPOSIT,
        "REDEEM" => ix::REDEEM,
        "WITHDRAW" => ix::WITHDRAW,
        "REPAY" => ix::REPAY,
        "DECLARE_DEFAULT" => ix::DECLARE_DEFAULT,
        "LIQUIDATE" => ix::LIQUIDATE,
        "CANCEL_EXPIRED" => ix::CANCEL_EXPIRED,
        other => panic!("the IDL names an instruction the program does not have: {other}"),
    }
}

/// Sample Borsh bytes for an argument of IDL type `ty`.
fn sample_arg(ty: &Value, out: &mut Vec<u8>) {
    if ty == "bool" {
        out.push(1);
    } else if ty == "bytes" {
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&[0xab, 0xcd]);
    } else if let Some(item) = ty.get("vec") {
        out.extend_from_slice(&2u32.to_le_bytes());
        for _ in 0..2 {
            sample_arg(item, out);
        }
    } else {
        out.extend(std::iter::repeat_n(0x01, type_size(ty, &[])));
    }
}

#[test]
fn instructions_have_the_program_discriminators_and_argument_layouts() {
    let idl = idl();
    let instructions = array(&idl, "instructions");
    let mut seen = Vec::new();
    for instruction in instructions {
        let name = instruction["name"].as_str().unwrap();
        let discriminator = array(instruction, "discriminator");
        assert_eq!(discriminator.len(), 1, "{name}");
        let expected = rust_discriminator(name);
        assert_eq!(discriminator[0].as_u64(), Some(expected as u64), "{name}");
        seen.push(expected);

        let mut data = vec![expected];
        for arg in array(instruction, "args") {
            sample_arg(&arg["type"], &mut data);
        }
        assert!(
            LoanbridgeInstruction::unpack(&data).is_ok(),
            "{name}: bytes built from the IDL's arguments do not decode"
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
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), instructions.len(), "discriminators are unique");
}
