//! Collateral vault accounts (shared/LOANS.md "Vault").

use super::{discriminator, impl_layout, Header, U128, U32, U64};

/// The vault, PDA `[b"vault"]`: its address is the vault's app identity on
/// the wire, and its lamports above rent hold the native SOL collateral.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vault {
    pub header: Header,
    /// The lending chain: every `OPEN_LOAN` goes there, every answer comes
    /// from there.
    pub lending_eid: U32,
    /// Seconds from `open` to `expiresAt` for new loans.
    pub request_ttl: U64,
    /// Loans opened so far; the next loan's vault nonce is this plus one.
    pub loan_nonce: U64,
    /// Native collateral (lamports) held for loans not yet paid out.
    pub native_locked: U64,
}

impl_layout!(Vault, discriminator::VAULT, 3 + 4 + 8 * 3);

/// A vault loan's state (shared/LOANS.md): `Requested → Active → Released |
/// Seized`, `Requested → Refunded`.
pub mod vault_loan_state {
    pub const NONE: u8 = 0;
    pub const REQUESTED: u8 = 1;
    pub const ACTIVE: u8 = 2;
    pub const RELEASED: u8 = 3;
    pub const SEIZED: u8 = 4;
    pub const REFUNDED: u8 = 5;
}

/// A loan as the vault records it, PDA `[b"vault_loan", loan_id]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VaultLoan {
    pub header: Header,
    /// See [`vault_loan_state`].
    pub state: u8,
    /// Bump of the custody token account `[b"custody", asset]`; 0 for native.
    pub custody_bump: u8,
    pub loan_id: [u8; 32],
    /// Who locked the collateral; receives refunds and releases.
    pub borrower: [u8; 32],
    /// The SPL mint locked, or zero for native SOL.
    pub asset: [u8; 32],
    /// Collateral locked, in the asset's base units.
    pub collateral_amount: U64,
    /// Requested principal; the disbursed principal once `LOAN_ACTIVE` arrived.
    pub principal: U128,
    pub max_rate_bps: U32,
    /// Annual rate from `LOAN_ACTIVE`; 0 before.
    pub rate_bps: U32,
    pub term_seconds: U64,
    /// The lending chain rejects the request after this time (and anyone
    /// may then cancel it there); part of the loan id.
    pub expires_at: U64,
    /// From `LOAN_ACTIVE`; 0 before.
    pub start_time: U64,
    /// From `LOAN_ACTIVE`; 0 before.
    pub due_time: U64,
    /// The vault nonce the loan id was computed from.
    pub vault_nonce: U64,
    /// Who receives the principal on the lending chain.
    pub recipient: [u8; 32],
}

impl_layout!(
    VaultLoan,
    discriminator::VAULT_LOAN,
    3 + 2 + 32 * 3 + 8 + 16 + 4 + 4 + 8 * 5 + 32
);

/// An SPL mint on the vault's allow-list, PDA `[b"asset", mint]`. Its
/// custody token account, PDA `[b"custody", mint]`, is owned by the vault.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowedAsset {
    pub header: Header,
    /// 1 while new loans may lock the mint.
    pub allowed: u8,
    pub custody_bump: u8,
    pub mint: [u8; 32],
}

impl_layout!(AllowedAsset, discriminator::ALLOWED_ASSET, 3 + 2 + 32);
