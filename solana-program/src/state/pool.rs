//! Lending pool accounts (shared/LOANS.md "Pool").

use super::{check_header, discriminator, impl_layout, Header, Layout, I64, U128, U16, U32, U64};
use crate::error::LoanbridgeError;

/// The pool, PDA `[b"pool"]`: its address is the pool's app identity on the
/// wire and the authority of its liquidity account and share mint.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    pub header: Header,
    /// 1 when paused: `OPEN_LOAN` answers `Paused`; everything else goes on.
    pub paused: u8,
    /// The stablecoin lent and deposited.
    pub stablecoin_mint: [u8; 32],
    /// Lenders' shares, PDA `[b"shares"]`, minted by the pool.
    pub share_mint: [u8; 32],
    /// The stablecoin the pool holds, token account PDA `[b"liquidity"]`.
    pub liquidity: [u8; 32],
    pub share_mint_bump: u8,
    pub liquidity_bump: u8,
    /// Annual rate charged on new loans, at most `MAX_RATE_BPS`.
    pub rate_bps: U32,
    pub min_term_seconds: U64,
    pub max_term_seconds: U64,
    pub grace_period_seconds: U64,
    /// Oldest price (seconds) a loan check accepts.
    pub max_price_age: U64,
    /// Due-bucket width W in seconds (shared/LOANS.md "Overdue loans leave
    /// pool assets at their due time"), fixed at `InitializePool`: due
    /// times are multiples of W and a loan's bucket is `due_time / W`.
    pub due_bucket_seconds: U64,
    /// The first bucket not yet flushed: every bucket below it is out of
    /// the performing sums.
    pub due_cursor: U64,
    /// Principal of performing loans (active, not past their due time).
    pub performing_principal: U64,
    /// Interest accrued into performing loans and not yet paid, saturating
    /// at `u128::MAX`.
    pub performing_interest: U128,
    /// `Σ principal × rate_bps` over performing loans.
    pub rate_weight: U128,
    /// `Σ principal × rate_bps × last_accrual` over performing loans, a
    /// 256-bit little-endian integer: their interest accrued since their
    /// last accruals is `now × rate_weight − anchor` (base × bps × s).
    pub anchor: [u8; 32],
    /// The ring of due buckets: bucket `b` lives in slot `b % DUE_BUCKETS`
    /// while `b` is at or past `due_cursor`.
    pub due_buckets: [DueBucket; DUE_BUCKETS],
    /// Most installments a loan may have (shared/LOANS.md "Installments"),
    /// in `[1, MAX_INSTALLMENTS]`; 1 (the default) allows bullet loans only.
    pub max_installments: U16,
    /// Allowed installment periods in seconds (0 = unused slot), each at
    /// most `max_term_seconds` when set.
    pub installment_periods: [U64; 4],
}

/// Slots in the pool's ring of due buckets.
pub const DUE_BUCKETS: usize = 64;

/// One due bucket's sums over its performing loans, the same four sums as
/// the pool's totals (all zero once flushed or empty).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DueBucket {
    pub principal: U64,
    pub interest: U128,
    pub rate_weight: U128,
    /// 256-bit little-endian.
    pub anchor: [u8; 32],
}

const _: () = assert!(core::mem::align_of::<DueBucket>() == 1);
const _: () = assert!(core::mem::size_of::<DueBucket>() == 8 + 16 * 2 + 32);

impl_layout!(
    Pool,
    discriminator::POOL,
    3 + 1 + 32 * 3 + 2 + 4 + 8 * 7 + 16 * 2 + 32 + 72 * DUE_BUCKETS + 2 + 8 * 4
);

/// A pool loan's status (shared/LOANS.md).
pub mod pool_loan_status {
    pub const NONE: u8 = 0;
    pub const ACTIVE: u8 = 1;
    pub const REPAID: u8 = 2;
    pub const REJECTED: u8 = 3;
    pub const DEFAULTED: u8 = 4;
    pub const LIQUIDATED: u8 = 5;
}

/// A loan as the pool records it, PDA `[b"pool_loan", loan_id]`: this
/// fixed part, then one [`InstallmentRecord`] per installment
/// (`installments` of them; none for a rejected loan), so the account is
/// [`PoolLoan::space`]`(installments)` bytes, at most 8,890 (360
/// installments), within the 10,240 bytes a program may create by CPI.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLoan {
    pub header: Header,
    /// See [`pool_loan_status`].
    pub status: u8,
    /// Reject reason code for a `Rejected` loan (shared/SPEC.md); 0 otherwise.
    pub reject_reason: u8,
    /// The collateral chain; answers go there.
    pub src_eid: U32,
    pub rate_bps: U32,
    pub start_time: U64,
    pub due_time: U64,
    /// When interest was last accrued (`start_time` at first).
    pub last_accrual: U64,
    /// Outstanding principal.
    pub principal: U64,
    /// Accrued, unpaid interest.
    pub interest: U128,
    /// Everything paid so far (interest and principal).
    pub repaid: U128,
    /// Collateral locked on the collateral chain.
    pub collateral_amount: U128,
    /// The collateral asset on the collateral chain (`bytes32`).
    pub collateral_asset: [u8; 32],
    pub loan_id: [u8; 32],
    /// Borrower on the collateral chain (`bytes32`).
    pub borrower: [u8; 32],
    /// Who received the principal here.
    pub recipient: [u8; 32],
    /// Equal payments the loan is repaid in (1 = bullet); 0 for a rejected
    /// loan (no schedule, no records).
    pub installments: U16,
    /// Installments paid so far, in order (shared/LOANS.md "Repayment").
    pub paid_installments: U16,
    /// 1 once the loan's first unpaid installment passed its due time: its
    /// bucket was flushed, and it stays out of pool assets for good.
    pub off_book: u8,
    /// `term_seconds / installments`.
    pub period_seconds: U64,
    /// The schedule's equal payment (shared/LOANS.md "The schedule").
    pub installment_amount: U128,
}

impl_layout!(
    PoolLoan,
    discriminator::POOL_LOAN,
    3 + 2 + 4 + 4 + 8 * 4 + 16 * 3 + 32 * 4 + 2 + 2 + 1 + 8 + 16
);

/// One installment of a pool loan, after the loan's fixed part: written by
/// the `Repay` that completes it, so relayers read payments from account
/// state, not from logs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstallmentRecord {
    /// Unix time of the repayment that completed it; 0 while unpaid.
    pub paid_at: I64,
    /// What it was paid out of the loan's cumulative repaid, saturating at
    /// `u64::MAX`.
    pub amount: U64,
    /// The loan's principal after that repayment.
    pub remaining_principal: U64,
}

/// Bytes of one [`InstallmentRecord`].
pub const INSTALLMENT_RECORD_LEN: usize = 24;
const _: () = assert!(core::mem::align_of::<InstallmentRecord>() == 1);
const _: () = assert!(core::mem::size_of::<InstallmentRecord>() == INSTALLMENT_RECORD_LEN);

impl PoolLoan {
    /// The account size of a loan with `installments` records.
    pub const fn space(installments: u16) -> usize {
        Self::LEN + INSTALLMENT_RECORD_LEN * installments as usize
    }
}

/// Views a pool loan's data as its fixed part and its records, after
/// checking discriminator, version and that the size is
/// [`PoolLoan::space`] of its `installments`.
pub fn view_pool_loan(bytes: &[u8]) -> Result<(&PoolLoan, &[InstallmentRecord]), LoanbridgeError> {
    let (head, tail) = bytes
        .split_at_checked(PoolLoan::LEN)
        .ok_or(LoanbridgeError::InvalidAccountData)?;
    // SAFETY: `PoolLoan` has alignment 1, accepts any bit pattern (the
    // `Layout` contract) and `head` holds exactly `PoolLoan::LEN` bytes.
    let loan = unsafe { &*(head.as_ptr() as *const PoolLoan) };
    check_header::<PoolLoan>(loan.header())?;
    if tail.len() != INSTALLMENT_RECORD_LEN * loan.installments.get() as usize {
        return Err(LoanbridgeError::InvalidAccountData);
    }
    // SAFETY: `InstallmentRecord` has alignment 1, size 24 and only byte
    // arrays; `tail` holds exactly `installments` of them.
    let records = unsafe {
        core::slice::from_raw_parts(
            tail.as_ptr() as *const InstallmentRecord,
            loan.installments.get() as usize,
        )
    };
    Ok((loan, records))
}

/// [`view_pool_loan`], mutably.
pub fn view_pool_loan_mut(
    bytes: &mut [u8],
) -> Result<(&mut PoolLoan, &mut [InstallmentRecord]), LoanbridgeError> {
    let count = view_pool_loan(bytes)?.1.len();
    let (head, tail) = bytes.split_at_mut(PoolLoan::LEN);
    // SAFETY: as in `view_pool_loan`, which checked the sizes; the two
    // borrows are disjoint halves of one exclusive borrow.
    unsafe {
        Ok((
            &mut *(head.as_mut_ptr() as *mut PoolLoan),
            core::slice::from_raw_parts_mut(tail.as_mut_ptr() as *mut InstallmentRecord, count),
        ))
    }
}

/// Pool settings for one collateral asset of one remote chain, PDA
/// `[b"collateral", remote_eid (u32 LE), asset]`. Both LTVs zero: not
/// configured (removed).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralConfig {
    pub header: Header,
    /// Highest loan-to-value at open; 0 means not configured.
    pub max_ltv_bps: U16,
    /// Debt-to-value above which anyone may liquidate.
    pub liquidation_ltv_bps: U16,
    pub remote_eid: U32,
    /// The asset on the remote chain (`bytes32`; zero = native coin).
    pub asset: [u8; 32],
    /// The price PDA's id for this (chain, asset).
    pub price_id: [u8; 32],
}

impl_layout!(
    CollateralConfig,
    discriminator::COLLATERAL_CONFIG,
    3 + 2 + 2 + 4 + 32 + 32
);

/// An admin-set price, PDA `[b"price", price_id]`: the value of 10^18 base
/// units of the collateral in stablecoin base units.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub header: Header,
    pub price_id: [u8; 32],
    pub price: U128,
    /// Unix time of the price.
    pub updated_at: U64,
}

impl_layout!(Price, discriminator::PRICE, 3 + 32 + 16 + 8);

/// Who receives seized collateral on one remote chain, PDA
/// `[b"beneficiary", remote_eid (u32 LE)]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beneficiary {
    pub header: Header,
    pub remote_eid: U32,
    /// `bytes32` address on the remote chain; zero means unset.
    pub beneficiary: [u8; 32],
}

impl_layout!(Beneficiary, discriminator::BENEFICIARY, 3 + 4 + 32);
