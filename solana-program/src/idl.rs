//! The program's interface as data: its instructions (accounts and
//! arguments), account layouts and errors (`crate::error::ERRORS`), in one
//! macro-free table. It is the single source of the Anchor-format IDL
//! (`idl/loanbridge.json`): `tests/idl.rs` renders the JSON from it and
//! fails when the committed file differs (`make idl` rewrites the file).
//!
//! The table takes discriminators, PDA seeds and error codes from the
//! program's own constants, and the const assertions at the end check every
//! layout field's offset and every layout's size against the zero-copy
//! structs, so the description cannot drift from the program. It is `const`
//! data: the SBF program links none of it.

use core::mem::{offset_of, size_of};

use crate::instruction::discriminator as ix;
use crate::pda;
use crate::state::{
    AllowedAsset, Beneficiary, CollateralConfig, DeliveredNonces, DueBucket, Endpoint,
    InstallmentRecord, Layout, OutboundNonce, OutboundPacket, Peer, Pool, PoolLoan, Price, Vault,
    VaultLoan,
};

/// The address the program is deployed at (the IDL's `address`).
pub const PROGRAM_ADDRESS: &str = "HWduTQQPx63ZCg1whS7eNbGXCqCu1ws5aRnF1ydMRfFz";
/// The IDL's `metadata.name`.
pub const PROGRAM_NAME: &str = "loanbridge";
/// The Anchor IDL spec version the JSON follows.
pub const IDL_SPEC: &str = "0.1.0";
/// The IDL's `metadata.description`.
pub const PROGRAM_DESCRIPTION: &str = "loanbridge Solana program: endpoint, collateral vault and lending pool. Accounts are zero-copy (repr(C), alignment 1, no padding); 1-byte discriminators.";

const SYSTEM_PROGRAM: &str = "11111111111111111111111111111111";
const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const INSTRUCTIONS_SYSVAR: &str = "Sysvar1nstructions1111111111111111111111111";

/// An argument or field type, as the IDL names it. Arguments are Borsh
/// (`crate::instruction`), layouts are zero-copy bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    U8,
    U16,
    U32,
    U64,
    I64,
    U128,
    Bool,
    Pubkey,
    /// A `u32` little-endian length, then the bytes.
    Bytes,
    /// A `u32` little-endian length, then the items.
    Vec(&'static Type),
    Array(&'static Type, usize),
    Defined(&'static TypeDef),
}

/// A named argument or layout field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Type,
}

impl Field {
    pub const fn new(name: &'static str, ty: Type) -> Self {
        Field { name, ty }
    }
}

/// A zero-copy layout (`repr(C)`, alignment 1, no padding). For an
/// account, `fields` start after the discriminator byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeDef {
    pub name: &'static str,
    pub docs: &'static [&'static str],
    pub fields: &'static [Field],
}

/// An account the program owns: its discriminator and layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub discriminator: u8,
    pub layout: &'static TypeDef,
}

/// One seed of a program-derived address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    Const(&'static [u8]),
    /// The instruction argument of that name.
    Arg(&'static str),
    /// The address of the instruction's account of that name.
    Account(&'static str),
}

/// An account an instruction takes, at its position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountMeta {
    pub name: &'static str,
    pub docs: &'static [&'static str],
    pub writable: bool,
    pub signer: bool,
    /// The one address the account must have (a program or sysvar).
    pub address: Option<&'static str>,
    /// The seeds of the program-derived address it must be; empty if none.
    pub pda: &'static [Seed],
}

impl AccountMeta {
    /// Defaults for the fields an entry leaves out.
    pub const NONE: AccountMeta = AccountMeta {
        name: "",
        docs: &[],
        writable: false,
        signer: false,
        address: None,
        pda: &[],
    };
}

/// An instruction: its discriminator (first data byte), accounts by
/// position, and Borsh arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub name: &'static str,
    pub docs: &'static [&'static str],
    pub discriminator: u8,
    pub accounts: &'static [AccountMeta],
    pub args: &'static [Field],
}

/// Byte size of a fixed-size type.
///
/// # Panics
///
/// For `Bytes` and `Vec`, which have no fixed size.
pub const fn type_size(ty: &Type) -> usize {
    match ty {
        Type::U8 | Type::Bool => 1,
        Type::U16 => 2,
        Type::U32 => 4,
        Type::U64 | Type::I64 => 8,
        Type::U128 => 16,
        Type::Pubkey => 32,
        Type::Array(item, len) => type_size(item) * *len,
        Type::Defined(def) => size(def),
        Type::Bytes | Type::Vec(_) => panic!("no fixed size"),
    }
}

/// Byte size of a layout.
pub const fn size(def: &TypeDef) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < def.fields.len() {
        total += type_size(&def.fields[i].ty);
        i += 1;
    }
    total
}

/// Byte size of an account: its discriminator byte, then the layout.
pub const fn account_size(def: &TypeDef) -> usize {
    1 + size(def)
}

/// Offset of field `name` in a layout.
///
/// # Panics
///
/// If the layout has no such field.
pub const fn offset(def: &TypeDef, name: &str) -> usize {
    let mut at = 0;
    let mut i = 0;
    while i < def.fields.len() {
        if str_eq(def.fields[i].name, name) {
            return at;
        }
        at += type_size(&def.fields[i].ty);
        i += 1;
    }
    panic!("no such field")
}

/// Offset of field `name` in an account's data.
pub const fn account_offset(def: &TypeDef, name: &str) -> usize {
    1 + offset(def, name)
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// --- instructions ----------------------------------------------------------
/// Every instruction, in discriminator order.
pub const INSTRUCTIONS: &[Instruction] = &[
    Instruction {
        name: "version",
        docs: &["Logs the program version and returns it as return data."],
        discriminator: ix::VERSION,
        accounts: &[],
        args: &[],
    },
    Instruction {
        name: "initialize_endpoint",
        docs: &[
            "Creates the endpoint with its first verifier set (epoch 1); the admin signer becomes admin.",
        ],
        discriminator: ix::INITIALIZE_ENDPOINT,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("local_eid", Type::U32),
            Field::new("guardian", Type::Pubkey),
            Field::new("threshold", Type::U8),
            Field::new("verifiers", Type::Vec(&Type::Pubkey)),
        ],
    },
    Instruction {
        name: "set_verifier_set",
        docs: &["Replaces the verifier set and bumps the epoch."],
        discriminator: ix::SET_VERIFIER_SET,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("threshold", Type::U8),
            Field::new("verifiers", Type::Vec(&Type::Pubkey)),
        ],
    },
    Instruction {
        name: "set_peer",
        docs: &[
            "Sets an app's peer on a remote chain; creates the peer and outbound nonce accounts on first use.",
        ],
        discriminator: ix::SET_PEER,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                writable: true,
                pda: &[Seed::Const(pda::PEER), Seed::Arg("app"), Seed::Arg("remote_eid")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                writable: true,
                pda: &[Seed::Const(pda::NONCE), Seed::Arg("app"), Seed::Arg("remote_eid")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("app", Type::Pubkey),
            Field::new("remote_eid", Type::U32),
            Field::new("remote_app", Type::Array(&Type::U8, 32)),
        ],
    },
    Instruction {
        name: "set_guardian",
        docs: &[
            "Sets the account that may pause besides the admin (zero: none).",
        ],
        discriminator: ix::SET_GUARDIAN,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("guardian", Type::Pubkey),
        ],
    },
    Instruction {
        name: "pause",
        docs: &[
            "Pauses deliveries (admin or guardian); sending goes on, so answers made during a pause are stored.",
        ],
        discriminator: ix::PAUSE,
        accounts: &[
            AccountMeta {
                name: "authority",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "unpause",
        docs: &["Unpauses (admin)."],
        discriminator: ix::UNPAUSE,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "transfer_admin",
        docs: &["Proposes a new admin (zero cancels)."],
        discriminator: ix::TRANSFER_ADMIN,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("new_admin", Type::Pubkey),
        ],
    },
    Instruction {
        name: "accept_admin",
        docs: &["The pending admin takes over."],
        discriminator: ix::ACCEPT_ADMIN,
        accounts: &[
            AccountMeta {
                name: "pending_admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                writable: true,
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "deliver",
        docs: &[
            "Delivers a packet attested through the Ed25519 precompile instruction right before this one; remaining accounts are the receiving app's.",
        ],
        discriminator: ix::DELIVER,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["Peer of the receiving app for the packet's source."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "delivered",
                docs: &["Delivered nonces of the packet's path and range, PDA [\"delivered\", receiver, srcEid (u32 LE), sender, nonce / 1024 (u64 LE)]; created by the range's first delivery."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "instructions_sysvar",
                address: Some(INSTRUCTIONS_SYSVAR),
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("packet", Type::Bytes),
        ],
    },
    Instruction {
        name: "close_packet",
        docs: &[
            "Closes an outbound packet account, returning its rent to the payer it records, once the packet's loan is final on this chain (vault loan Released, Seized or Refunded; pool loan Repaid, Rejected, Defaulted or Liquidated) and the packet is MIN_PACKET_AGE_SECONDS (30 days) old. Anyone may call it.",
        ],
        discriminator: ix::CLOSE_PACKET,
        accounts: &[
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &[
                    "PDA [\"nonce\", app, dst_eid] of the packet's path; its close_horizon is raised to the packet's nonce.",
                ],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &["PDA [\"packet\", app, dst_eid, nonce]; closed."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                docs: &[
                    "The packet's loan: PDA [\"vault_loan\", loan_id] for a vault packet, [\"pool_loan\", loan_id] for a pool packet.",
                ],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "rent_recipient",
                docs: &["The packet's recorded payer; receives the rent."],
                writable: true,
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "initialize_vault",
        docs: &[
            "Creates the vault (PDA [\"vault\"]), whose address is its app identity on the wire.",
        ],
        discriminator: ix::INITIALIZE_VAULT,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "vault",
                writable: true,
                pda: &[Seed::Const(pda::VAULT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("lending_eid", Type::U32),
            Field::new("request_ttl", Type::U64),
        ],
    },
    Instruction {
        name: "set_request_ttl",
        docs: &["Sets the seconds from open to expiresAt for new loans."],
        discriminator: ix::SET_REQUEST_TTL,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "vault",
                writable: true,
                pda: &[Seed::Const(pda::VAULT)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("request_ttl", Type::U64),
        ],
    },
    Instruction {
        name: "set_asset_allowed",
        docs: &[
            "Adds an SPL mint to the vault's allow-list or removes it; the first call creates the allow-list entry and the custody token account.",
        ],
        discriminator: ix::SET_ASSET_ALLOWED,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "vault",
                pda: &[Seed::Const(pda::VAULT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "mint",
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "allowed_asset",
                writable: true,
                pda: &[Seed::Const(pda::ASSET), Seed::Account("mint")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "custody",
                writable: true,
                pda: &[Seed::Const(pda::CUSTODY), Seed::Account("mint")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("allowed", Type::Bool),
        ],
    },
    Instruction {
        name: "open_native",
        docs: &[
            "Locks native SOL collateral and sends OPEN_LOAN to the lending chain with expires_at in (now, now + request_ttl] (part of the loan id, so the client fixes it); returns the loan id.",
        ],
        discriminator: ix::OPEN_NATIVE,
        accounts: &[
            AccountMeta {
                name: "borrower",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "vault",
                writable: true,
                pda: &[Seed::Const(pda::VAULT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                docs: &[
                    "PDA [\"vault_loan\", loan_id], created; loan_id = keccak256(localEid BE ‖ vault ‖ borrower ‖ vaultNonce BE).",
                ],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["PDA [\"peer\", vault, lending_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &["PDA [\"nonce\", vault, lending_eid]."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &["PDA [\"packet\", vault, lending_eid, nonce], created."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("collateral_amount", Type::U64),
            Field::new("principal", Type::U128),
            Field::new("max_rate_bps", Type::U32),
            Field::new("term_seconds", Type::U64),
            Field::new("recipient", Type::Array(&Type::U8, 32)),
            Field::new("expires_at", Type::U64),
            Field::new("installments", Type::U16),
        ],
    },
    Instruction {
        name: "open_token",
        docs: &[
            "Locks an allowed SPL token and sends OPEN_LOAN to the lending chain with expires_at in (now, now + request_ttl] (part of the loan id, so the client fixes it); returns the loan id.",
        ],
        discriminator: ix::OPEN_TOKEN,
        accounts: &[
            AccountMeta {
                name: "borrower",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "vault",
                writable: true,
                pda: &[Seed::Const(pda::VAULT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                docs: &[
                    "PDA [\"vault_loan\", loan_id], created; loan_id = keccak256(localEid BE ‖ vault ‖ borrower ‖ vaultNonce BE).",
                ],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["PDA [\"peer\", vault, lending_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &["PDA [\"nonce\", vault, lending_eid]."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &["PDA [\"packet\", vault, lending_eid, nonce], created."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "mint",
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "allowed_asset",
                pda: &[Seed::Const(pda::ASSET), Seed::Account("mint")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "borrower_tokens",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "custody",
                writable: true,
                pda: &[Seed::Const(pda::CUSTODY), Seed::Account("mint")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("collateral_amount", Type::U64),
            Field::new("principal", Type::U128),
            Field::new("max_rate_bps", Type::U32),
            Field::new("term_seconds", Type::U64),
            Field::new("recipient", Type::Array(&Type::U8, 32)),
            Field::new("expires_at", Type::U64),
            Field::new("installments", Type::U16),
        ],
    },
    Instruction {
        name: "initialize_pool",
        docs: &[
            "Creates the pool (PDA [\"pool\"]), its liquidity token account and its share mint (stablecoin decimals + 3). due_bucket_seconds (W, 3,600 to 31,536,000) is fixed for the pool's life: due times are multiples of W and max_term_seconds at most 62 × W.",
        ],
        discriminator: ix::INITIALIZE_POOL,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "stablecoin_mint",
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "liquidity",
                writable: true,
                pda: &[Seed::Const(pda::LIQUIDITY)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "share_mint",
                writable: true,
                pda: &[Seed::Const(pda::SHARES)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("rate_bps", Type::U32),
            Field::new("min_term_seconds", Type::U64),
            Field::new("max_term_seconds", Type::U64),
            Field::new("grace_period_seconds", Type::U64),
            Field::new("max_price_age", Type::U64),
            Field::new("due_bucket_seconds", Type::U64),
        ],
    },
    Instruction {
        name: "set_loan_terms",
        docs: &[
            "Sets the rate for new loans, the term range and the grace period before default.",
        ],
        discriminator: ix::SET_LOAN_TERMS,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("rate_bps", Type::U32),
            Field::new("min_term_seconds", Type::U64),
            Field::new("max_term_seconds", Type::U64),
            Field::new("grace_period_seconds", Type::U64),
        ],
    },
    Instruction {
        name: "set_collateral",
        docs: &[
            "Sets the LTVs and price id of one (remote eid, asset); both LTVs zero removes it.",
        ],
        discriminator: ix::SET_COLLATERAL,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "collateral_config",
                writable: true,
                pda: &[Seed::Const(pda::COLLATERAL), Seed::Arg("remote_eid"), Seed::Arg("asset")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("remote_eid", Type::U32),
            Field::new("asset", Type::Array(&Type::U8, 32)),
            Field::new("max_ltv_bps", Type::U16),
            Field::new("liquidation_ltv_bps", Type::U16),
            Field::new("price_id", Type::Array(&Type::U8, 32)),
        ],
    },
    Instruction {
        name: "set_beneficiary",
        docs: &["Sets who receives seized collateral on a remote chain."],
        discriminator: ix::SET_BENEFICIARY,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "beneficiary",
                writable: true,
                pda: &[Seed::Const(pda::BENEFICIARY), Seed::Arg("remote_eid")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("remote_eid", Type::U32),
            Field::new("beneficiary", Type::Array(&Type::U8, 32)),
        ],
    },
    Instruction {
        name: "set_price",
        docs: &[
            "Sets a price (stablecoin base units per 10^18 collateral base units), timestamped now; zero reads as missing.",
        ],
        discriminator: ix::SET_PRICE,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "price",
                writable: true,
                pda: &[Seed::Const(pda::PRICE), Seed::Arg("price_id")],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("price_id", Type::Array(&Type::U8, 32)),
            Field::new("price", Type::U128),
        ],
    },
    Instruction {
        name: "set_max_price_age",
        docs: &["Sets the oldest price (seconds) a loan check accepts."],
        discriminator: ix::SET_MAX_PRICE_AGE,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("max_price_age", Type::U64),
        ],
    },
    Instruction {
        name: "pause_pool",
        docs: &[
            "Pauses new loans (admin or guardian): OPEN_LOAN answers Paused.",
        ],
        discriminator: ix::PAUSE_POOL,
        accounts: &[
            AccountMeta {
                name: "authority",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "unpause_pool",
        docs: &["Unpauses the pool (admin)."],
        discriminator: ix::UNPAUSE_POOL,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "deposit",
        docs: &["Deposits stablecoin for shares (rounded down)."],
        discriminator: ix::DEPOSIT,
        accounts: &[
            AccountMeta {
                name: "lender",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "liquidity",
                writable: true,
                pda: &[Seed::Const(pda::LIQUIDITY)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "share_mint",
                writable: true,
                pda: &[Seed::Const(pda::SHARES)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "lender_stablecoin",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "lender_shares",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("assets", Type::U64),
        ],
    },
    Instruction {
        name: "redeem",
        docs: &[
            "Burns shares for stablecoin (rounded down); limited to the stablecoin held.",
        ],
        discriminator: ix::REDEEM,
        accounts: &[
            AccountMeta {
                name: "lender",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "liquidity",
                writable: true,
                pda: &[Seed::Const(pda::LIQUIDITY)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "share_mint",
                writable: true,
                pda: &[Seed::Const(pda::SHARES)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "lender_stablecoin",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "lender_shares",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("shares", Type::U64),
        ],
    },
    Instruction {
        name: "withdraw",
        docs: &[
            "Takes stablecoin out for the shares it costs (rounded up); limited to the stablecoin held.",
        ],
        discriminator: ix::WITHDRAW,
        accounts: &[
            AccountMeta {
                name: "lender",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "liquidity",
                writable: true,
                pda: &[Seed::Const(pda::LIQUIDITY)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "share_mint",
                writable: true,
                pda: &[Seed::Const(pda::SHARES)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "lender_stablecoin",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "lender_shares",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("assets", Type::U64),
        ],
    },
    Instruction {
        name: "repay",
        docs: &[
            "Repays a loan (interest first); the completing repayment sends REPAID.",
        ],
        discriminator: ix::REPAY,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "payer_tokens",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "liquidity",
                writable: true,
                pda: &[Seed::Const(pda::LIQUIDITY)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "token_program",
                address: Some(TOKEN_PROGRAM),
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["PDA [\"peer\", pool, src_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &["PDA [\"nonce\", pool, src_eid]."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &[
                    "PDA [\"packet\", pool, src_eid, nonce]; created when the instruction sends.",
                ],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("amount", Type::U64),
        ],
    },
    Instruction {
        name: "declare_default",
        docs: &[
            "Writes off an overdue loan (now > due + grace) and sends DEFAULTED.",
        ],
        discriminator: ix::DECLARE_DEFAULT,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "beneficiary",
                docs: &["PDA [\"beneficiary\", src_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["PDA [\"peer\", pool, src_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &["PDA [\"nonce\", pool, src_eid]."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &[
                    "PDA [\"packet\", pool, src_eid, nonce]; created when the instruction sends.",
                ],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "liquidate",
        docs: &[
            "Writes off a loan above its liquidation LTV at a fresh price and sends LIQUIDATED.",
        ],
        discriminator: ix::LIQUIDATE,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "beneficiary",
                docs: &["PDA [\"beneficiary\", src_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["PDA [\"peer\", pool, src_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &["PDA [\"nonce\", pool, src_eid]."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &[
                    "PDA [\"packet\", pool, src_eid, nonce]; created when the instruction sends.",
                ],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "collateral_config",
                docs: &["PDA [\"collateral\", src_eid, asset]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "price",
                docs: &["PDA [\"price\", price_id]."],
                ..AccountMeta::NONE
            },
        ],
        args: &[],
    },
    Instruction {
        name: "cancel_expired",
        docs: &[
            "After a request's expiresAt, records an unknown loan id (computed from src_eid, the pool's peer vault there and the arguments) as Rejected (Expired) and answers LOAN_REJECTED(Expired).",
        ],
        discriminator: ix::CANCEL_EXPIRED,
        accounts: &[
            AccountMeta {
                name: "payer",
                writable: true,
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "loan",
                docs: &["PDA [\"pool_loan\", loan_id]; created."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "peer",
                docs: &["PDA [\"peer\", pool, src_eid]."],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "nonce",
                docs: &["PDA [\"nonce\", pool, src_eid]."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "packet",
                docs: &["PDA [\"packet\", pool, src_eid, nonce]; created."],
                writable: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "system_program",
                address: Some(SYSTEM_PROGRAM),
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("src_eid", Type::U32),
            Field::new("borrower", Type::Array(&Type::U8, 32)),
            Field::new("vault_nonce", Type::U64),
            Field::new("expires_at", Type::U64),
        ],
    },
    Instruction {
        name: "set_installment_terms",
        docs: &[
            "Sets the most installments a loan may have (1 to 360; 1 = bullet loans only) and up to four allowed installment periods in seconds (0 = unused slot; each at most max_term_seconds); else PoolInvalidInstallmentTerms.",
        ],
        discriminator: ix::SET_INSTALLMENT_TERMS,
        accounts: &[
            AccountMeta {
                name: "admin",
                signer: true,
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "endpoint",
                pda: &[Seed::Const(pda::ENDPOINT)],
                ..AccountMeta::NONE
            },
            AccountMeta {
                name: "pool",
                writable: true,
                pda: &[Seed::Const(pda::POOL)],
                ..AccountMeta::NONE
            },
        ],
        args: &[
            Field::new("max_installments", Type::U16),
            Field::new("periods", Type::Array(&Type::U64, 4)),
        ],
    },
];

// --- account layouts -------------------------------------------------------
/// Every account the program owns, in discriminator order.
pub const ACCOUNTS: &[Account] = &[
    Account {
        discriminator: Endpoint::DISCRIMINATOR,
        layout: &ENDPOINT,
    },
    Account {
        discriminator: Peer::DISCRIMINATOR,
        layout: &PEER,
    },
    Account {
        discriminator: OutboundNonce::DISCRIMINATOR,
        layout: &OUTBOUND_NONCE,
    },
    Account {
        discriminator: OutboundPacket::DISCRIMINATOR,
        layout: &OUTBOUND_PACKET,
    },
    Account {
        discriminator: DeliveredNonces::DISCRIMINATOR,
        layout: &DELIVERED_NONCES,
    },
    Account {
        discriminator: Vault::DISCRIMINATOR,
        layout: &VAULT,
    },
    Account {
        discriminator: VaultLoan::DISCRIMINATOR,
        layout: &VAULT_LOAN,
    },
    Account {
        discriminator: AllowedAsset::DISCRIMINATOR,
        layout: &ALLOWED_ASSET,
    },
    Account {
        discriminator: Pool::DISCRIMINATOR,
        layout: &POOL,
    },
    Account {
        discriminator: PoolLoan::DISCRIMINATOR,
        layout: &POOL_LOAN,
    },
    Account {
        discriminator: CollateralConfig::DISCRIMINATOR,
        layout: &COLLATERAL_CONFIG,
    },
    Account {
        discriminator: Price::DISCRIMINATOR,
        layout: &PRICE,
    },
    Account {
        discriminator: Beneficiary::DISCRIMINATOR,
        layout: &BENEFICIARY,
    },
];

/// Every layout the IDL declares (accounts and the types they hold), in
/// IDL order.
pub const TYPES: &[&TypeDef] = &[
    &ENDPOINT,
    &PEER,
    &OUTBOUND_NONCE,
    &OUTBOUND_PACKET,
    &DELIVERED_NONCES,
    &VAULT,
    &VAULT_LOAN,
    &ALLOWED_ASSET,
    &POOL,
    &DUE_BUCKET,
    &POOL_LOAN,
    &INSTALLMENT_RECORD,
    &COLLATERAL_CONFIG,
    &PRICE,
    &BENEFICIARY,
];

pub const ENDPOINT: TypeDef = TypeDef {
    name: "Endpoint",
    docs: &["The endpoint, PDA [\"endpoint\"]."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("paused", Type::U8),
        Field::new("local_eid", Type::U32),
        Field::new("epoch", Type::U64),
        Field::new("admin", Type::Pubkey),
        Field::new("pending_admin", Type::Pubkey),
        Field::new("guardian", Type::Pubkey),
        Field::new("vault", Type::Pubkey),
        Field::new("pool", Type::Pubkey),
        Field::new("vault_bump", Type::U8),
        Field::new("pool_bump", Type::U8),
        Field::new("threshold", Type::U8),
        Field::new("verifier_count", Type::U8),
        Field::new("verifiers", Type::Array(&Type::Pubkey, 16)),
    ],
};

pub const PEER: TypeDef = TypeDef {
    name: "Peer",
    docs: &["A local app's peer on a remote chain, PDA [\"peer\", app, remote_eid]."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("remote_eid", Type::U32),
        Field::new("local_app", Type::Pubkey),
        Field::new("remote_app", Type::Array(&Type::U8, 32)),
    ],
};

pub const OUTBOUND_NONCE: TypeDef = TypeDef {
    name: "OutboundNonce",
    docs: &[
        "The last nonce an app sent to a chain, PDA [\"nonce\", app, dst_eid]. close_horizon is the highest nonce ClosePacket has closed on the path (0 before any): a packet account missing at or below it was closed; one missing above it is hidden.",
    ],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("dst_eid", Type::U32),
        Field::new("app", Type::Pubkey),
        Field::new("nonce", Type::U64),
        Field::new("close_horizon", Type::U64),
    ],
};

pub const OUTBOUND_PACKET: TypeDef = TypeDef {
    name: "OutboundPacket",
    docs: &[
        "A sent packet, PDA [\"packet\", app, dst_eid, nonce]: its bytes (packet[..packet_len], zero-padded to 297), their keccak256 and its guid, who paid its rent and when it was sent (unix seconds). Relayers read packets from here; the sending transaction's log line is only a hint. ClosePacket may close it once its loan is final here and it is 30 days old.",
    ],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("status", Type::U8),
        Field::new("packet_hash", Type::Array(&Type::U8, 32)),
        Field::new("guid", Type::Array(&Type::U8, 32)),
        Field::new("packet_len", Type::U16),
        Field::new("packet", Type::Array(&Type::U8, 297)),
        Field::new("payer", Type::Array(&Type::U8, 32)),
        Field::new("sent_at", Type::U64),
    ],
};

pub const DELIVERED_NONCES: TypeDef = TypeDef {
    name: "DeliveredNonces",
    docs: &["Which nonces of one path were delivered: bit nonce % 1024 (byte bit / 8, least significant bit first) of range nonce / 1024. PDA [\"delivered\", receiver, srcEid (u32 LE), sender, range (u64 LE)]."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("bits", Type::Array(&Type::U8, 128)),
    ],
};

pub const VAULT: TypeDef = TypeDef {
    name: "Vault",
    docs: &["The vault, PDA [\"vault\"]; its lamports above rent hold native collateral."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("lending_eid", Type::U32),
        Field::new("request_ttl", Type::U64),
        Field::new("loan_nonce", Type::U64),
        Field::new("native_locked", Type::U64),
    ],
};

pub const VAULT_LOAN: TypeDef = TypeDef {
    name: "VaultLoan",
    docs: &[
        "A loan as the vault records it, PDA [\"vault_loan\", loan_id]. state: 1 Requested, 2 Active, 3 Released, 4 Seized, 5 Refunded.",
    ],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("state", Type::U8),
        Field::new("custody_bump", Type::U8),
        Field::new("loan_id", Type::Array(&Type::U8, 32)),
        Field::new("borrower", Type::Pubkey),
        Field::new("asset", Type::Pubkey),
        Field::new("collateral_amount", Type::U64),
        Field::new("principal", Type::U128),
        Field::new("max_rate_bps", Type::U32),
        Field::new("rate_bps", Type::U32),
        Field::new("term_seconds", Type::U64),
        Field::new("expires_at", Type::U64),
        Field::new("start_time", Type::U64),
        Field::new("due_time", Type::U64),
        Field::new("vault_nonce", Type::U64),
        Field::new("recipient", Type::Array(&Type::U8, 32)),
    ],
};

pub const ALLOWED_ASSET: TypeDef = TypeDef {
    name: "AllowedAsset",
    docs: &["An SPL mint on the vault's allow-list, PDA [\"asset\", mint]."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("allowed", Type::U8),
        Field::new("custody_bump", Type::U8),
        Field::new("mint", Type::Pubkey),
    ],
};

pub const POOL: TypeDef = TypeDef {
    name: "Pool",
    docs: &[
        "The pool, PDA [\"pool\"]: its app identity and the authority of its liquidity and share mint; with the due-bucket sums that count performing loans (active, not past their due time) in pool assets: performing totals, a cursor and a ring of 64 due buckets (anchor: a 256-bit little-endian integer); then the installment settings (max_installments 1 = bullet loans only; installment_periods in seconds, 0 = unused slot).",
    ],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("paused", Type::U8),
        Field::new("stablecoin_mint", Type::Pubkey),
        Field::new("share_mint", Type::Pubkey),
        Field::new("liquidity", Type::Pubkey),
        Field::new("share_mint_bump", Type::U8),
        Field::new("liquidity_bump", Type::U8),
        Field::new("rate_bps", Type::U32),
        Field::new("min_term_seconds", Type::U64),
        Field::new("max_term_seconds", Type::U64),
        Field::new("grace_period_seconds", Type::U64),
        Field::new("max_price_age", Type::U64),
        Field::new("due_bucket_seconds", Type::U64),
        Field::new("due_cursor", Type::U64),
        Field::new("performing_principal", Type::U64),
        Field::new("performing_interest", Type::U128),
        Field::new("rate_weight", Type::U128),
        Field::new("anchor", Type::Array(&Type::U8, 32)),
        Field::new("due_buckets", Type::Array(&Type::Defined(&DUE_BUCKET), 64)),
        Field::new("max_installments", Type::U16),
        Field::new("installment_periods", Type::Array(&Type::U64, 4)),
    ],
};

pub const DUE_BUCKET: TypeDef = TypeDef {
    name: "DueBucket",
    docs: &[
        "One due bucket's sums over its performing loans: principal, recorded interest, rate_weight = Σ principal × rate_bps, anchor = Σ principal × rate_bps × last_accrual (256-bit little-endian).",
    ],
    fields: &[
        Field::new("principal", Type::U64),
        Field::new("interest", Type::U128),
        Field::new("rate_weight", Type::U128),
        Field::new("anchor", Type::Array(&Type::U8, 32)),
    ],
};

pub const POOL_LOAN: TypeDef = TypeDef {
    name: "PoolLoan",
    docs: &[
        "A loan as the pool records it, PDA [\"pool_loan\", loan_id]. status: 1 Active, 2 Repaid, 3 Rejected, 4 Defaulted, 5 Liquidated.",
        "The account is these fields, then `installments` InstallmentRecord entries of 24 bytes (none for a rejected loan): account size 250 + 24 × installments.",
        "off_book: 1 once the first unpaid installment passed its due time (out of pool assets for good); installment_amount: the schedule's equal payment.",
    ],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("status", Type::U8),
        Field::new("reject_reason", Type::U8),
        Field::new("src_eid", Type::U32),
        Field::new("rate_bps", Type::U32),
        Field::new("start_time", Type::U64),
        Field::new("due_time", Type::U64),
        Field::new("last_accrual", Type::U64),
        Field::new("principal", Type::U64),
        Field::new("interest", Type::U128),
        Field::new("repaid", Type::U128),
        Field::new("collateral_amount", Type::U128),
        Field::new("collateral_asset", Type::Array(&Type::U8, 32)),
        Field::new("loan_id", Type::Array(&Type::U8, 32)),
        Field::new("borrower", Type::Array(&Type::U8, 32)),
        Field::new("recipient", Type::Pubkey),
        Field::new("installments", Type::U16),
        Field::new("paid_installments", Type::U16),
        Field::new("off_book", Type::U8),
        Field::new("period_seconds", Type::U64),
        Field::new("installment_amount", Type::U128),
    ],
};

pub const INSTALLMENT_RECORD: TypeDef = TypeDef {
    name: "InstallmentRecord",
    docs: &[
        "One installment of a PoolLoan, in order after its fixed fields, written by the Repay that completes it: paid_at (unix seconds, 0 while unpaid), amount paid out of the loan's cumulative repaid (saturating at u64::MAX), the loan's principal after that repayment.",
    ],
    fields: &[
        Field::new("paid_at", Type::I64),
        Field::new("amount", Type::U64),
        Field::new("remaining_principal", Type::U64),
    ],
};

pub const COLLATERAL_CONFIG: TypeDef = TypeDef {
    name: "CollateralConfig",
    docs: &[
        "Pool settings for one collateral asset of one remote chain, PDA [\"collateral\", remote_eid, asset].",
    ],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("max_ltv_bps", Type::U16),
        Field::new("liquidation_ltv_bps", Type::U16),
        Field::new("remote_eid", Type::U32),
        Field::new("asset", Type::Array(&Type::U8, 32)),
        Field::new("price_id", Type::Array(&Type::U8, 32)),
    ],
};

pub const PRICE: TypeDef = TypeDef {
    name: "Price",
    docs: &["An admin-set price, PDA [\"price\", price_id]."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("price_id", Type::Array(&Type::U8, 32)),
        Field::new("price", Type::U128),
        Field::new("updated_at", Type::U64),
    ],
};

pub const BENEFICIARY: TypeDef = TypeDef {
    name: "Beneficiary",
    docs: &["Who receives seized collateral on a remote chain, PDA [\"beneficiary\", remote_eid]."],
    fields: &[
        Field::new("version", Type::U8),
        Field::new("bump", Type::U8),
        Field::new("remote_eid", Type::U32),
        Field::new("beneficiary", Type::Array(&Type::U8, 32)),
    ],
};

// Every field of every layout sits where the zero-copy struct has it, and
// nothing follows the last: a field added, removed, resized or moved on
// either side fails the build.
const _: () = {
    // Endpoint
    assert!(account_offset(&ENDPOINT, "version") == offset_of!(Endpoint, header.version));
    assert!(account_offset(&ENDPOINT, "bump") == offset_of!(Endpoint, header.bump));
    assert!(account_offset(&ENDPOINT, "paused") == offset_of!(Endpoint, paused));
    assert!(account_offset(&ENDPOINT, "local_eid") == offset_of!(Endpoint, local_eid));
    assert!(account_offset(&ENDPOINT, "epoch") == offset_of!(Endpoint, epoch));
    assert!(account_offset(&ENDPOINT, "admin") == offset_of!(Endpoint, admin));
    assert!(account_offset(&ENDPOINT, "pending_admin") == offset_of!(Endpoint, pending_admin));
    assert!(account_offset(&ENDPOINT, "guardian") == offset_of!(Endpoint, guardian));
    assert!(account_offset(&ENDPOINT, "vault") == offset_of!(Endpoint, vault));
    assert!(account_offset(&ENDPOINT, "pool") == offset_of!(Endpoint, pool));
    assert!(account_offset(&ENDPOINT, "vault_bump") == offset_of!(Endpoint, vault_bump));
    assert!(account_offset(&ENDPOINT, "pool_bump") == offset_of!(Endpoint, pool_bump));
    assert!(account_offset(&ENDPOINT, "threshold") == offset_of!(Endpoint, threshold));
    assert!(account_offset(&ENDPOINT, "verifier_count") == offset_of!(Endpoint, verifier_count));
    assert!(account_offset(&ENDPOINT, "verifiers") == offset_of!(Endpoint, verifiers));
    assert!(account_size(&ENDPOINT) == size_of::<Endpoint>());
    // Peer
    assert!(account_offset(&PEER, "version") == offset_of!(Peer, header.version));
    assert!(account_offset(&PEER, "bump") == offset_of!(Peer, header.bump));
    assert!(account_offset(&PEER, "remote_eid") == offset_of!(Peer, remote_eid));
    assert!(account_offset(&PEER, "local_app") == offset_of!(Peer, local_app));
    assert!(account_offset(&PEER, "remote_app") == offset_of!(Peer, remote_app));
    assert!(account_size(&PEER) == size_of::<Peer>());
    // OutboundNonce
    assert!(
        account_offset(&OUTBOUND_NONCE, "version") == offset_of!(OutboundNonce, header.version)
    );
    assert!(account_offset(&OUTBOUND_NONCE, "bump") == offset_of!(OutboundNonce, header.bump));
    assert!(account_offset(&OUTBOUND_NONCE, "dst_eid") == offset_of!(OutboundNonce, dst_eid));
    assert!(account_offset(&OUTBOUND_NONCE, "app") == offset_of!(OutboundNonce, app));
    assert!(account_offset(&OUTBOUND_NONCE, "nonce") == offset_of!(OutboundNonce, nonce));
    assert!(
        account_offset(&OUTBOUND_NONCE, "close_horizon")
            == offset_of!(OutboundNonce, close_horizon)
    );
    assert!(account_size(&OUTBOUND_NONCE) == size_of::<OutboundNonce>());
    // OutboundPacket
    assert!(
        account_offset(&OUTBOUND_PACKET, "version") == offset_of!(OutboundPacket, header.version)
    );
    assert!(account_offset(&OUTBOUND_PACKET, "bump") == offset_of!(OutboundPacket, header.bump));
    assert!(account_offset(&OUTBOUND_PACKET, "status") == offset_of!(OutboundPacket, status));
    assert!(
        account_offset(&OUTBOUND_PACKET, "packet_hash") == offset_of!(OutboundPacket, packet_hash)
    );
    assert!(account_offset(&OUTBOUND_PACKET, "guid") == offset_of!(OutboundPacket, guid));
    assert!(
        account_offset(&OUTBOUND_PACKET, "packet_len") == offset_of!(OutboundPacket, packet_len)
    );
    assert!(account_offset(&OUTBOUND_PACKET, "packet") == offset_of!(OutboundPacket, packet));
    assert!(account_offset(&OUTBOUND_PACKET, "payer") == offset_of!(OutboundPacket, payer));
    assert!(account_offset(&OUTBOUND_PACKET, "sent_at") == offset_of!(OutboundPacket, sent_at));
    assert!(account_size(&OUTBOUND_PACKET) == size_of::<OutboundPacket>());
    // DeliveredNonces
    assert!(
        account_offset(&DELIVERED_NONCES, "version") == offset_of!(DeliveredNonces, header.version)
    );
    assert!(account_offset(&DELIVERED_NONCES, "bump") == offset_of!(DeliveredNonces, header.bump));
    assert!(account_offset(&DELIVERED_NONCES, "bits") == offset_of!(DeliveredNonces, bits));
    assert!(account_size(&DELIVERED_NONCES) == size_of::<DeliveredNonces>());
    // Vault
    assert!(account_offset(&VAULT, "version") == offset_of!(Vault, header.version));
    assert!(account_offset(&VAULT, "bump") == offset_of!(Vault, header.bump));
    assert!(account_offset(&VAULT, "lending_eid") == offset_of!(Vault, lending_eid));
    assert!(account_offset(&VAULT, "request_ttl") == offset_of!(Vault, request_ttl));
    assert!(account_offset(&VAULT, "loan_nonce") == offset_of!(Vault, loan_nonce));
    assert!(account_offset(&VAULT, "native_locked") == offset_of!(Vault, native_locked));
    assert!(account_size(&VAULT) == size_of::<Vault>());
    // VaultLoan
    assert!(account_offset(&VAULT_LOAN, "version") == offset_of!(VaultLoan, header.version));
    assert!(account_offset(&VAULT_LOAN, "bump") == offset_of!(VaultLoan, header.bump));
    assert!(account_offset(&VAULT_LOAN, "state") == offset_of!(VaultLoan, state));
    assert!(account_offset(&VAULT_LOAN, "custody_bump") == offset_of!(VaultLoan, custody_bump));
    assert!(account_offset(&VAULT_LOAN, "loan_id") == offset_of!(VaultLoan, loan_id));
    assert!(account_offset(&VAULT_LOAN, "borrower") == offset_of!(VaultLoan, borrower));
    assert!(account_offset(&VAULT_LOAN, "asset") == offset_of!(VaultLoan, asset));
    assert!(
        account_offset(&VAULT_LOAN, "collateral_amount")
            == offset_of!(VaultLoan, collateral_amount)
    );
    assert!(account_offset(&VAULT_LOAN, "principal") == offset_of!(VaultLoan, principal));
    assert!(account_offset(&VAULT_LOAN, "max_rate_bps") == offset_of!(VaultLoan, max_rate_bps));
    assert!(account_offset(&VAULT_LOAN, "rate_bps") == offset_of!(VaultLoan, rate_bps));
    assert!(account_offset(&VAULT_LOAN, "term_seconds") == offset_of!(VaultLoan, term_seconds));
    assert!(account_offset(&VAULT_LOAN, "expires_at") == offset_of!(VaultLoan, expires_at));
    assert!(account_offset(&VAULT_LOAN, "start_time") == offset_of!(VaultLoan, start_time));
    assert!(account_offset(&VAULT_LOAN, "due_time") == offset_of!(VaultLoan, due_time));
    assert!(account_offset(&VAULT_LOAN, "vault_nonce") == offset_of!(VaultLoan, vault_nonce));
    assert!(account_offset(&VAULT_LOAN, "recipient") == offset_of!(VaultLoan, recipient));
    assert!(account_size(&VAULT_LOAN) == size_of::<VaultLoan>());
    // AllowedAsset
    assert!(account_offset(&ALLOWED_ASSET, "version") == offset_of!(AllowedAsset, header.version));
    assert!(account_offset(&ALLOWED_ASSET, "bump") == offset_of!(AllowedAsset, header.bump));
    assert!(account_offset(&ALLOWED_ASSET, "allowed") == offset_of!(AllowedAsset, allowed));
    assert!(
        account_offset(&ALLOWED_ASSET, "custody_bump") == offset_of!(AllowedAsset, custody_bump)
    );
    assert!(account_offset(&ALLOWED_ASSET, "mint") == offset_of!(AllowedAsset, mint));
    assert!(account_size(&ALLOWED_ASSET) == size_of::<AllowedAsset>());
    // Pool
    assert!(account_offset(&POOL, "version") == offset_of!(Pool, header.version));
    assert!(account_offset(&POOL, "bump") == offset_of!(Pool, header.bump));
    assert!(account_offset(&POOL, "paused") == offset_of!(Pool, paused));
    assert!(account_offset(&POOL, "stablecoin_mint") == offset_of!(Pool, stablecoin_mint));
    assert!(account_offset(&POOL, "share_mint") == offset_of!(Pool, share_mint));
    assert!(account_offset(&POOL, "liquidity") == offset_of!(Pool, liquidity));
    assert!(account_offset(&POOL, "share_mint_bump") == offset_of!(Pool, share_mint_bump));
    assert!(account_offset(&POOL, "liquidity_bump") == offset_of!(Pool, liquidity_bump));
    assert!(account_offset(&POOL, "rate_bps") == offset_of!(Pool, rate_bps));
    assert!(account_offset(&POOL, "min_term_seconds") == offset_of!(Pool, min_term_seconds));
    assert!(account_offset(&POOL, "max_term_seconds") == offset_of!(Pool, max_term_seconds));
    assert!(
        account_offset(&POOL, "grace_period_seconds") == offset_of!(Pool, grace_period_seconds)
    );
    assert!(account_offset(&POOL, "max_price_age") == offset_of!(Pool, max_price_age));
    assert!(account_offset(&POOL, "due_bucket_seconds") == offset_of!(Pool, due_bucket_seconds));
    assert!(account_offset(&POOL, "due_cursor") == offset_of!(Pool, due_cursor));
    assert!(
        account_offset(&POOL, "performing_principal") == offset_of!(Pool, performing_principal)
    );
    assert!(account_offset(&POOL, "performing_interest") == offset_of!(Pool, performing_interest));
    assert!(account_offset(&POOL, "rate_weight") == offset_of!(Pool, rate_weight));
    assert!(account_offset(&POOL, "anchor") == offset_of!(Pool, anchor));
    assert!(account_offset(&POOL, "due_buckets") == offset_of!(Pool, due_buckets));
    assert!(account_offset(&POOL, "max_installments") == offset_of!(Pool, max_installments));
    assert!(account_offset(&POOL, "installment_periods") == offset_of!(Pool, installment_periods));
    assert!(account_size(&POOL) == size_of::<Pool>());
    // DueBucket
    assert!(offset(&DUE_BUCKET, "principal") == offset_of!(DueBucket, principal));
    assert!(offset(&DUE_BUCKET, "interest") == offset_of!(DueBucket, interest));
    assert!(offset(&DUE_BUCKET, "rate_weight") == offset_of!(DueBucket, rate_weight));
    assert!(offset(&DUE_BUCKET, "anchor") == offset_of!(DueBucket, anchor));
    assert!(size(&DUE_BUCKET) == size_of::<DueBucket>());
    // PoolLoan
    assert!(account_offset(&POOL_LOAN, "version") == offset_of!(PoolLoan, header.version));
    assert!(account_offset(&POOL_LOAN, "bump") == offset_of!(PoolLoan, header.bump));
    assert!(account_offset(&POOL_LOAN, "status") == offset_of!(PoolLoan, status));
    assert!(account_offset(&POOL_LOAN, "reject_reason") == offset_of!(PoolLoan, reject_reason));
    assert!(account_offset(&POOL_LOAN, "src_eid") == offset_of!(PoolLoan, src_eid));
    assert!(account_offset(&POOL_LOAN, "rate_bps") == offset_of!(PoolLoan, rate_bps));
    assert!(account_offset(&POOL_LOAN, "start_time") == offset_of!(PoolLoan, start_time));
    assert!(account_offset(&POOL_LOAN, "due_time") == offset_of!(PoolLoan, due_time));
    assert!(account_offset(&POOL_LOAN, "last_accrual") == offset_of!(PoolLoan, last_accrual));
    assert!(account_offset(&POOL_LOAN, "principal") == offset_of!(PoolLoan, principal));
    assert!(account_offset(&POOL_LOAN, "interest") == offset_of!(PoolLoan, interest));
    assert!(account_offset(&POOL_LOAN, "repaid") == offset_of!(PoolLoan, repaid));
    assert!(
        account_offset(&POOL_LOAN, "collateral_amount") == offset_of!(PoolLoan, collateral_amount)
    );
    assert!(
        account_offset(&POOL_LOAN, "collateral_asset") == offset_of!(PoolLoan, collateral_asset)
    );
    assert!(account_offset(&POOL_LOAN, "loan_id") == offset_of!(PoolLoan, loan_id));
    assert!(account_offset(&POOL_LOAN, "borrower") == offset_of!(PoolLoan, borrower));
    assert!(account_offset(&POOL_LOAN, "recipient") == offset_of!(PoolLoan, recipient));
    assert!(account_offset(&POOL_LOAN, "installments") == offset_of!(PoolLoan, installments));
    assert!(
        account_offset(&POOL_LOAN, "paid_installments") == offset_of!(PoolLoan, paid_installments)
    );
    assert!(account_offset(&POOL_LOAN, "off_book") == offset_of!(PoolLoan, off_book));
    assert!(account_offset(&POOL_LOAN, "period_seconds") == offset_of!(PoolLoan, period_seconds));
    assert!(
        account_offset(&POOL_LOAN, "installment_amount")
            == offset_of!(PoolLoan, installment_amount)
    );
    // InstallmentRecord
    assert!(offset(&INSTALLMENT_RECORD, "paid_at") == offset_of!(InstallmentRecord, paid_at));
    assert!(offset(&INSTALLMENT_RECORD, "amount") == offset_of!(InstallmentRecord, amount));
    assert!(
        offset(&INSTALLMENT_RECORD, "remaining_principal")
            == offset_of!(InstallmentRecord, remaining_principal)
    );
    assert!(size(&INSTALLMENT_RECORD) == size_of::<InstallmentRecord>());
    assert!(account_size(&POOL_LOAN) == size_of::<PoolLoan>());
    // CollateralConfig
    assert!(
        account_offset(&COLLATERAL_CONFIG, "version")
            == offset_of!(CollateralConfig, header.version)
    );
    assert!(
        account_offset(&COLLATERAL_CONFIG, "bump") == offset_of!(CollateralConfig, header.bump)
    );
    assert!(
        account_offset(&COLLATERAL_CONFIG, "max_ltv_bps")
            == offset_of!(CollateralConfig, max_ltv_bps)
    );
    assert!(
        account_offset(&COLLATERAL_CONFIG, "liquidation_ltv_bps")
            == offset_of!(CollateralConfig, liquidation_ltv_bps)
    );
    assert!(
        account_offset(&COLLATERAL_CONFIG, "remote_eid")
            == offset_of!(CollateralConfig, remote_eid)
    );
    assert!(account_offset(&COLLATERAL_CONFIG, "asset") == offset_of!(CollateralConfig, asset));
    assert!(
        account_offset(&COLLATERAL_CONFIG, "price_id") == offset_of!(CollateralConfig, price_id)
    );
    assert!(account_size(&COLLATERAL_CONFIG) == size_of::<CollateralConfig>());
    // Price
    assert!(account_offset(&PRICE, "version") == offset_of!(Price, header.version));
    assert!(account_offset(&PRICE, "bump") == offset_of!(Price, header.bump));
    assert!(account_offset(&PRICE, "price_id") == offset_of!(Price, price_id));
    assert!(account_offset(&PRICE, "price") == offset_of!(Price, price));
    assert!(account_offset(&PRICE, "updated_at") == offset_of!(Price, updated_at));
    assert!(account_size(&PRICE) == size_of::<Price>());
    // Beneficiary
    assert!(account_offset(&BENEFICIARY, "version") == offset_of!(Beneficiary, header.version));
    assert!(account_offset(&BENEFICIARY, "bump") == offset_of!(Beneficiary, header.bump));
    assert!(account_offset(&BENEFICIARY, "remote_eid") == offset_of!(Beneficiary, remote_eid));
    assert!(account_offset(&BENEFICIARY, "beneficiary") == offset_of!(Beneficiary, beneficiary));
    assert!(account_size(&BENEFICIARY) == size_of::<Beneficiary>());
};
