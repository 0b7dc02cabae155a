//! The lending pool (shared/LOANS.md "Pool"): lenders deposit the
//! stablecoin for shares; the pool checks `OPEN_LOAN`s, disburses, accrues
//! simple interest, takes repayments and writes off defaulted or liquidated
//! loans, answering each with the message of `shared/SPEC.md`.
//!
//! Differences from the EVM pool, both from SPL amounts being `u64`:
//! - shares are an SPL mint (PDA `[b"shares"]`, authority the pool) with
//!   [`SHARE_DECIMALS_OFFSET`] = 3 extra decimals, not 6: with 6, a 6-decimal
//!   stablecoin's shares would overflow `u64` past 18.4 million units;
//! - a principal wider than `u64` is never disbursed: it exceeds the
//!   stablecoin held, so `OPEN_LOAN` answers `InsufficientLiquidity`.
//!
//! Pool assets = stablecoin held (the liquidity account, PDA
//! `[b"liquidity"]`) + principal of performing loans (active, not past their
//! due time) + their interest accrued to now (shared/LOANS.md "Interest in
//! pool assets"), so the share price moves with time, not with repayments:
//! a deposit just before a large repayment earns only the interest of the
//! time it was in. An overdue loan leaves pool assets at its due time
//! ([`due`]), so lenders cannot leave its loss to others by withdrawing
//! before anyone declares the default.
//! Installment loans (shared/LOANS.md "Installments") are booked in the
//! bucket of their first unpaid installment ([`booked_due`]); a repayment
//! that completes installments moves a performing loan to its next one
//! ([`apply_repayment`]), and one that missed an installment stays out of
//! pool assets for good (`off_book`). The schedule's arithmetic is
//! [`schedule`].
//! Share conversions follow OpenZeppelin's ERC-4626 with virtual shares:
//! `shares = assets × (supply + 10^3) / (assets_total + 1)` and back; pool
//! assets past `u64::MAX` (only with absurd interest) price shares at
//! `u64::MAX`.

pub mod due;
pub mod schedule;

use pinocchio::account::{Ref, RefMut};
use pinocchio::cpi::{Seed, Signer};
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use self::due::{Sums, MAX_TERM_BUCKETS};
use self::schedule::{installment_due, INSTALLMENT_PERIOD_SLOTS, MAX_INSTALLMENTS};

use crate::accounts::{
    create_pda, is_uninitialized, require_token_program, require_writable, token_account,
    token_transfer, NewAccount, TokenTransfer,
};
use crate::endpoint::send::{prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::instruction::{InstallmentTermsArgs, LoanTermsArgs};
use crate::math::{
    checked_mul, collateral_value, exceeds_ltv, interest_of_scaled, mul_div_u64, scaled_interest,
    U256,
};
use crate::pda;
use crate::processor::deliver::Delivery;
use crate::processor::open::now;
use crate::state::pool::pool_loan_status as status;
use crate::state::{
    load, load_mut, view_pool_loan, view_pool_loan_mut, CollateralConfig, Header, Layout, Pool,
    PoolLoan, Price, U128, U16, U32, U64,
};
use crate::wire::{LoanActive, LoanMessage, LoanRejected, OpenLoan, RejectReason};

/// Highest annual rate a pool may charge (1,000 % a year): with it, interest
/// on any `u64` principal stays far inside `u128` for centuries, and past
/// that it saturates (shared/LOANS.md "Bounds so every loan can close").
pub const MAX_RATE_BPS: u32 = 100_000;

/// Checks loan terms as configured: a term range, a capped rate, and a
/// longest term of at most [`MAX_TERM_BUCKETS`] due buckets of
/// `due_bucket_seconds`, so every open loan's bucket has its own slot.
pub fn check_terms(terms: &LoanTermsArgs, due_bucket_seconds: u64) -> Result<(), LoanbridgeError> {
    if terms.min_term_seconds > terms.max_term_seconds {
        return Err(LoanbridgeError::PoolInvalidTermRange);
    }
    if terms.rate_bps > MAX_RATE_BPS {
        return Err(LoanbridgeError::PoolRateTooHigh);
    }
    let longest = checked_mul(MAX_TERM_BUCKETS, due_bucket_seconds).unwrap_or(u64::MAX);
    if terms.max_term_seconds > longest {
        return Err(LoanbridgeError::PoolMaxTermAboveBucketRing);
    }
    Ok(())
}

/// Checks installment settings (shared/LOANS.md "Installments"):
/// `1 ≤ max_installments ≤ MAX_INSTALLMENTS` and every non-zero period at
/// most `max_term_seconds`.
pub fn check_installment_terms(
    terms: &InstallmentTermsArgs,
    max_term_seconds: u64,
) -> Result<(), LoanbridgeError> {
    if !(1..=MAX_INSTALLMENTS).contains(&terms.max_installments)
        || terms
            .periods
            .iter()
            .any(|period| *period > max_term_seconds)
    {
        return Err(LoanbridgeError::PoolInvalidInstallmentTerms);
    }
    Ok(())
}

/// Extra decimals of shares over the stablecoin (virtual-shares offset).
pub const SHARE_DECIMALS_OFFSET: u8 = 3;
/// `10^SHARE_DECIMALS_OFFSET`: the virtual shares.
pub const VIRTUAL_SHARES: u64 = 1_000;

/// Borrows the pool account after checking it is the PDA `[b"pool"]`.
/// The pool is too large to copy onto the SBF stack: keep it borrowed.
pub fn load_pool<'a>(
    account: &'a AccountView,
    program_id: &Address,
) -> Result<Ref<'a, Pool>, ProgramError> {
    let pool = load::<Pool>(account, program_id)?;
    pda::check(account, &[pda::POOL], pool.header.bump, program_id)?;
    Ok(pool)
}

/// [`load_pool`], mutably (the account must be writable).
pub fn load_pool_mut<'a>(
    account: &'a mut AccountView,
    program_id: &Address,
) -> Result<RefMut<'a, Pool>, ProgramError> {
    load_pool(account, program_id)?;
    load_mut::<Pool>(account, program_id)
}

/// The pool's signer seeds need its bump; this holds it for [`pool_signer`].
pub struct PoolSeeds([u8; 1]);

impl PoolSeeds {
    pub fn new(pool: &Pool) -> Self {
        PoolSeeds([pool.header.bump])
    }

    pub fn seeds(&self) -> [Seed<'_>; 2] {
        [Seed::from(pda::POOL), Seed::from(&self.0)]
    }
}

/// Reads the liquidity account (which must be the pool's) and returns the
/// stablecoin it holds.
pub fn liquidity_held(pool: &Pool, liquidity: &AccountView) -> Result<u64, ProgramError> {
    if liquidity.address().as_array() != &pool.liquidity {
        return Err(LoanbridgeError::InvalidPda.into());
    }
    Ok(token_account(liquidity)?.amount)
}

/// Pool assets at `now`: stablecoin held + the performing loans' principal,
/// interest accrued into them and interest accrued since, rounded down once
/// (shared/LOANS.md "Overdue loans leave pool assets at their due time"),
/// at most `u64::MAX − 1` (share conversions add one). An overdue loan
/// counts zero.
pub fn total_assets(pool: &Pool, held: u64, now: u64) -> u64 {
    let sums = due::performing_at(pool, now);
    U256::from_u128(held as u128)
        .saturating_add(U256::from_u128(sums.principal as u128))
        .saturating_add(U256::from_u128(sums.interest))
        .saturating_add(U256::from_u128(sums.accrued_since(now)))
        .to_u128()
        .and_then(|assets| u64::try_from(assets).ok())
        .unwrap_or(u64::MAX)
        .min(u64::MAX - 1)
}

/// The due time of a loan's first unpaid installment,
/// `due_{paid_installments + 1}` (shared/LOANS.md "Pool assets"): the
/// bucket it is booked in. A bullet loan's is its `due_time`; a repaid
/// loan's stays its last installment's.
pub fn booked_due(loan: &PoolLoan, width: u64) -> u64 {
    let installments = loan.installments.get();
    if installments <= 1 {
        return loan.due_time.get();
    }
    let next = loan
        .paid_installments
        .get()
        .saturating_add(1)
        .min(installments);
    // Every installment is due by `due_time`, which fit at open.
    installment_due(
        loan.start_time.get(),
        next,
        loan.period_seconds.get(),
        width,
    )
    .unwrap_or(loan.due_time.get())
}

/// A loan enters the pool's sums: just disbursed, in the bucket of its
/// first installment (the caller has flushed the pool to its start).
pub fn add_loan(pool: &mut Pool, loan: &PoolLoan) {
    let parts = Sums::of_loan(
        loan.principal.get(),
        0,
        loan.rate_bps.get(),
        loan.last_accrual.get(),
    );
    let due = booked_due(loan, pool.due_bucket_seconds.get());
    due::adjust(pool, due, &parts, &Sums::default());
}

/// What one repayment, default or liquidation did to a loan: the accrual it
/// made ([`accrue`]) and the principal and interest that left the loan
/// (paid or written off).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoanChange {
    pub accrued: Accrual,
    pub principal_out: u64,
    pub interest_out: u128,
}

/// Brings the pool's sums up to date with a loan's change: flushes the due
/// buckets to `now`, then, if the loan is still performing, moves its
/// accrual into its bucket and what left the loan out of it. An overdue
/// loan left the sums at its due time, so its payments count only in the
/// stablecoin held. Returns whether the loan was performing. Saturating:
/// never fails.
pub fn apply(pool: &mut Pool, loan: &PoolLoan, change: &LoanChange, now: u64) -> bool {
    let booked = booked_due(loan, pool.due_bucket_seconds.get());
    apply_at(pool, loan, change, (now, booked))
}

/// [`apply`] for a loan booked at `booked` (its [`booked_due`], computed
/// once by the caller).
fn apply_at(
    pool: &mut Pool,
    loan: &PoolLoan,
    change: &LoanChange,
    (now, booked): (u64, u64),
) -> bool {
    due::flush(pool, now);
    if !due::is_performing_at(pool, loan, booked) {
        return false;
    }
    let (accrued, out) = change_sums(loan, change);
    due::adjust(pool, booked, &accrued, &out);
    true
}

/// Where a loan's repayments stand against its schedule.
pub fn progress_of(loan: &PoolLoan) -> schedule::Progress {
    schedule::Progress {
        repaid: loan.repaid.get(),
        payment: loan.installment_amount.get(),
        installments: loan.installments.get(),
    }
}

/// [`apply`] for a repayment, with the installments it completes
/// (shared/LOANS.md "Repayment", "Pool assets"): after the payment has been
/// applied to `loan` (principal, interest, `repaid`), counts the
/// installments now paid, sets `paid_installments`, marks a loan that was
/// not performing `off_book` for good, and moves a performing loan that is
/// not yet repaid to the bucket of its new first unpaid installment.
/// Returns the installments paid before, so the caller records the ones
/// after it. Saturating: never fails.
pub fn apply_repayment(pool: &mut Pool, loan: &mut PoolLoan, change: &LoanChange, now: u64) -> u16 {
    let width = pool.due_bucket_seconds.get();
    let fully_repaid = loan.principal.get() == 0;
    let paid_before = loan.paid_installments.get();
    let paid_now = schedule::installments_paid(&progress_of(loan), fully_repaid);
    let from_due = booked_due(loan, width);
    loan.paid_installments.set(paid_now.max(paid_before));
    if fully_repaid || paid_now <= paid_before {
        // Same bucket (or none left): as any payment.
        if !apply_at(pool, loan, change, (now, from_due)) {
            loan.off_book = 1;
        }
        return paid_before;
    }
    due::flush(pool, now);
    if !due::is_performing_at(pool, loan, from_due) {
        // Its first unpaid installment is past due: the loan left pool
        // assets with that bucket and never comes back.
        loan.off_book = 1;
        return paid_before;
    }
    let (accrued, out) = change_sums(loan, change);
    let parts = Sums::of_loan(
        loan.principal.get(),
        loan.interest.get(),
        loan.rate_bps.get(),
        loan.last_accrual.get(),
    );
    let moved = due::Moved {
        add: &accrued,
        sub: &out,
        parts: &parts,
    };
    due::adjust_and_move(pool, (from_due, booked_due(loan, width)), &moved);
    paid_before
}

/// A loan's change as sums: its accrual (into them) and what left the loan
/// (out of them).
fn change_sums(loan: &PoolLoan, change: &LoanChange) -> (Sums, Sums) {
    let accrued = Sums {
        principal: 0,
        interest: change.accrued.added,
        rate_weight: 0,
        anchor: change.accrued.scaled,
    };
    // The loan's anchor part is principal × rate × last_accrual, and it
    // has just accrued (to `now`, or later if the clock stepped back).
    let out = Sums::of_loan(
        change.principal_out,
        change.interest_out,
        loan.rate_bps.get(),
        loan.last_accrual.get(),
    );
    (accrued, out)
}

/// The totals share conversions use.
#[derive(Clone, Copy, Debug)]
pub struct ShareTotals {
    /// Pool assets.
    pub assets: u64,
    /// Shares in circulation.
    pub supply: u64,
}

/// `assets × (supply + 10^3) / (total + 1)`, rounded down or up.
pub fn to_shares(assets: u64, totals: &ShareTotals, round_up: bool) -> Result<u64, ProgramError> {
    let virtual_supply = totals.supply.checked_add(VIRTUAL_SHARES);
    let virtual_assets = totals.assets.checked_add(1);
    match (virtual_supply, virtual_assets) {
        (Some(supply), Some(total)) => mul_div_u64(assets, supply, total, round_up),
        _ => None,
    }
    .ok_or_else(|| LoanbridgeError::ArithmeticOverflow.into())
}

/// `shares × (total + 1) / (supply + 10^3)`, rounded down.
pub fn to_assets(shares: u64, totals: &ShareTotals) -> Result<u64, ProgramError> {
    let virtual_supply = totals.supply.checked_add(VIRTUAL_SHARES);
    let virtual_assets = totals.assets.checked_add(1);
    match (virtual_supply, virtual_assets) {
        (Some(supply), Some(total)) => mul_div_u64(shares, total, supply, false),
        _ => None,
    }
    .ok_or_else(|| LoanbridgeError::ArithmeticOverflow.into())
}

/// What an accrual added to a loan: its exact interest `principal ×
/// rate_bps × elapsed` and that rounded down (saturated) into `interest`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accrual {
    pub scaled: U256,
    pub added: u128,
}

/// Adds the interest accrued since the last accrual and moves the accrual
/// time to `now` (shared/LOANS.md "Interest"), saturating at `u128::MAX`.
/// A clock at or before the last accrual adds nothing and moves nothing.
/// Never fails; [`apply`] then moves the accrual into the pool's sums.
pub fn accrue(loan: &mut PoolLoan, now: u64) -> Accrual {
    let last = loan.last_accrual.get();
    if now <= last {
        return Accrual::default();
    }
    let scaled = scaled_interest(loan.principal.get(), loan.rate_bps.get(), now - last);
    let added = interest_of_scaled(scaled);
    loan.interest.set(loan.interest.get().saturating_add(added));
    loan.last_accrual.set(now);
    Accrual { scaled, added }
}

/// Principal plus accrued interest, saturating at `u128::MAX` (the wire's
/// `uint128`).
pub fn debt(loan: &PoolLoan) -> u128 {
    (loan.principal.get() as u128).saturating_add(loan.interest.get())
}

/// Borrows a pool loan account's data after checking owner, layout and
/// size ([`view_pool_loan`]); the PDA is the caller's to check.
pub fn load_pool_loan<'a>(
    account: &'a AccountView,
    program_id: &Address,
) -> Result<Ref<'a, [u8]>, ProgramError> {
    if !account.owned_by(program_id) {
        return Err(LoanbridgeError::InvalidAccountOwner.into());
    }
    let data = account.try_borrow()?;
    view_pool_loan(&data)?;
    Ok(data)
}

/// A pool loan's fixed part ([`load_pool_loan`]'s checks).
pub fn pool_loan_head(
    account: &AccountView,
    program_id: &Address,
) -> Result<PoolLoan, ProgramError> {
    let data = load_pool_loan(account, program_id)?;
    Ok(*view_pool_loan(&data)?.0)
}

/// Writes a pool loan's fixed part back (the account must be writable and
/// hold a pool loan of the same size).
pub fn store_pool_loan(
    account: &mut AccountView,
    program_id: &Address,
    loan: &PoolLoan,
) -> ProgramResult {
    if !account.is_writable() {
        return Err(LoanbridgeError::AccountNotWritable.into());
    }
    if !account.owned_by(program_id) {
        return Err(LoanbridgeError::InvalidAccountOwner.into());
    }
    let mut data = account.try_borrow_mut()?;
    let (head, records) = view_pool_loan_mut(&mut data)?;
    if loan.installments != head.installments || records.len() != loan.installments.get() as usize {
        return Err(LoanbridgeError::InvalidAccountData.into());
    }
    *head = *loan;
    Ok(())
}

/// Writes a new pool loan's fixed part into its freshly created (zeroed)
/// account of [`PoolLoan::space`]`(installments)` bytes; its records stay
/// zero (unpaid).
fn init_pool_loan(account: &mut AccountView, loan: &PoolLoan) -> ProgramResult {
    let mut data = account.try_borrow_mut()?;
    if data.len() != PoolLoan::space(loan.installments.get()) {
        return Err(LoanbridgeError::InvalidAccountData.into());
    }
    // SAFETY: `PoolLoan` is plain bytes of size `PoolLoan::LEN` (the
    // `Layout` contract).
    let bytes =
        unsafe { core::slice::from_raw_parts(loan as *const PoolLoan as *const u8, PoolLoan::LEN) };
    data[..PoolLoan::LEN].copy_from_slice(bytes);
    Ok(())
}

/// Loads an active pool loan's fixed part (PDA `[b"pool_loan", loan_id]`,
/// stored bump).
pub fn load_active_loan(
    account: &AccountView,
    program_id: &Address,
) -> Result<PoolLoan, ProgramError> {
    let loan = pool_loan_head(account, program_id)?;
    pda::check(
        account,
        &[pda::POOL_LOAN, &loan.loan_id],
        loan.header.bump,
        program_id,
    )?;
    if loan.status != status::ACTIVE {
        return Err(LoanbridgeError::PoolLoanNotActive.into());
    }
    Ok(loan)
}

/// Which collateral a config or price lookup is for.
#[derive(Clone, Copy)]
pub struct CollateralKey<'a> {
    pub remote_eid: u32,
    pub asset: &'a [u8; 32],
    pub program_id: &'a Address,
}

/// The collateral config for `key`, `None` when never set or removed (both
/// LTVs zero). The account must be the config's PDA even when it was never
/// created, so a deliverer cannot pass some other empty account to make a
/// good collateral look unsupported.
pub fn collateral_config(
    account: &AccountView,
    key: &CollateralKey,
) -> Result<Option<CollateralConfig>, ProgramError> {
    let eid = key.remote_eid.to_le_bytes();
    let seeds: [&[u8]; 3] = [pda::COLLATERAL, &eid, key.asset];
    if is_uninitialized(account) {
        pda::check_canonical(account, &seeds, key.program_id)?;
        return Ok(None);
    }
    let config = *load::<CollateralConfig>(account, key.program_id)?;
    if config.remote_eid.get() != key.remote_eid || &config.asset != key.asset {
        return Err(LoanbridgeError::PoolWrongCollateralAccount.into());
    }
    pda::check(account, &seeds, config.header.bump, key.program_id)?;
    Ok((config.max_ltv_bps.get() != 0).then_some(config))
}

/// A price as read: `(price, updated_at)`, zero when never set.
pub fn price_of(
    account: &AccountView,
    price_id: &[u8; 32],
    program_id: &Address,
) -> Result<(u128, u64), ProgramError> {
    if is_uninitialized(account) {
        pda::check_canonical(account, &[pda::PRICE, price_id], program_id)?;
        return Ok((0, 0));
    }
    let price = *load::<Price>(account, program_id)?;
    if &price.price_id != price_id {
        return Err(LoanbridgeError::PoolWrongCollateralAccount.into());
    }
    pda::check(
        account,
        &[pda::PRICE, price_id],
        price.header.bump,
        program_id,
    )?;
    Ok((price.price.get(), price.updated_at.get()))
}

/// Whether a price is usable: non-zero, timestamped neither zero, in the
/// future, nor older than `max_age`.
pub fn is_fresh(price: u128, updated_at: u64, now: u64, max_age: u64) -> bool {
    price != 0 && updated_at != 0 && updated_at <= now && now - updated_at <= max_age
}

/// The pool's receive hook: handles `OPEN_LOAN` only (Poly Network, 2021:
/// the receive path reaches no admin function).
///
/// Accounts (after `Deliver`'s six, whose payer, peer and system program
/// also serve the answer):
/// 0. `[writable]` pool, PDA `[b"pool"]`
/// 1. `[writable]` pool loan, PDA `[b"pool_loan", loan_id]` (created)
/// 2. `[]` collateral config, PDA `[b"collateral", srcEid (u32 LE), asset]`
///    (need not exist)
/// 3. `[]` price, PDA `[b"price", config.price_id]` (need not exist; any
///    account when the config does not exist)
/// 4. `[writable]` liquidity, the pool's token account
/// 5. `[writable]` the recipient's stablecoin token account (read only when
///    the loan is disbursed)
/// 6. `[]` token program
/// 7. `[writable]` outbound nonce, PDA `[b"nonce", pool, srcEid]`
/// 8. `[writable]` outbound packet, PDA `[b"packet", pool, srcEid, nonce]`
///    (created), followed by any further candidates for it: the packet
///    accounts of the nonces after. The answer takes the pool's next nonce
///    when the transaction runs, and another delivery on the path may have
///    taken the one the relayer read: the candidate at the nonce taken is
///    created, the others are not touched (`crate::endpoint::send`).
///
/// Checks in shared/LOANS.md's order (the installment row after the term
/// row); the first failure records the loan as `Rejected` (no schedule, no
/// installment records) and answers `LOAN_REJECTED`; otherwise stores the
/// schedule's payment, creates the loan with one empty record per
/// installment, disburses and answers `LOAN_ACTIVE` (due at the last
/// installment). A loan id the pool already knows fails (`PoolLoanExists`)
/// without an answer.
pub fn receive(delivery: &Delivery, accounts: &mut [AccountView]) -> ProgramResult {
    let program_id = delivery.program_id;
    let [pool_account, loan, config_account, price_account, liquidity, recipient_tokens, token_program, nonce, packets @ ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_writable(pool_account)?;
    require_writable(loan)?;
    require_writable(liquidity)?;
    require_token_program(token_program)?;
    let pool_key = pool_account.address().to_bytes();
    let LoanMessage::OpenLoan(request) = LoanMessage::decode(delivery.message)? else {
        return Err(LoanbridgeError::PoolUnexpectedMessageType.into());
    };
    if loan.owned_by(program_id) {
        return Err(match pool_loan_head(loan, program_id) {
            Ok(known) if known.loan_id == request.loan_id => LoanbridgeError::PoolLoanExists,
            _ => LoanbridgeError::InvalidPda,
        }
        .into());
    }
    let loan_bump = pda::check_canonical(loan, &[pda::POOL_LOAN, &request.loan_id], program_id)?;
    let now = now()?;
    let key = CollateralKey {
        remote_eid: delivery.src_eid,
        asset: &request.collateral_asset,
        program_id,
    };
    let mut record = PoolLoan {
        header: Header::new(PoolLoan::DISCRIMINATOR, loan_bump),
        status: status::REJECTED,
        reject_reason: 0,
        src_eid: U32::new(delivery.src_eid),
        rate_bps: U32::new(0),
        start_time: U64::new(0),
        due_time: U64::new(0),
        last_accrual: U64::new(0),
        principal: U64::new(0),
        interest: U128::new(0),
        repaid: U128::new(0),
        collateral_amount: U128::new(request.collateral_amount),
        collateral_asset: request.collateral_asset,
        loan_id: request.loan_id,
        borrower: request.borrower,
        recipient: request.recipient,
        installments: U16::new(0),
        paid_installments: U16::new(0),
        off_book: 0,
        period_seconds: U64::new(0),
        installment_amount: U128::new(0),
    };
    // Decide and, when accepted, enter the loan in the pool's sums, in one
    // borrow of the pool: it is flushed to now first, so the new loan's
    // bucket has its slot to itself.
    let (reason, signer_seeds) = {
        let mut pool = load_pool_mut(pool_account, program_id)?;
        due::flush(&mut pool, now);
        let decision = OpenDecision {
            pool: &pool,
            request: &request,
            pool_address: &pool_key,
            held: liquidity_held(&pool, liquidity)?,
            now,
        };
        let reason = decide(&decision, &key, config_account, price_account)?;
        if reason.is_none() {
            let token = token_account(recipient_tokens)?;
            if token.mint != pool.stablecoin_mint || token.owner != request.recipient {
                return Err(LoanbridgeError::PoolWrongRecipientAccount.into());
            }
            require_writable(recipient_tokens)?;
            // Accepted: the principal is at most the stablecoin held, so it
            // fits u64, and the term at most 62 buckets, so the due time
            // fits too.
            let principal =
                u64::try_from(request.principal).map_err(|_| LoanbridgeError::AmountTooLarge)?;
            let due_time = due::due_time(now, request.term_seconds, pool.due_bucket_seconds.get())
                .ok_or(LoanbridgeError::ArithmeticOverflow)?;
            // The check row made installments ≥ 1 and a divisor of the term.
            let installments = request.installments;
            let period = request.term_seconds / installments as u64;
            let rate_bps = pool.rate_bps.get();
            let payment = schedule::payment(&schedule::Terms {
                principal: principal as u128,
                rate_bps,
                period_seconds: period,
                installments,
            })
            .ok_or(LoanbridgeError::ArithmeticOverflow)?;
            record.status = status::ACTIVE;
            record.rate_bps = pool.rate_bps;
            record.start_time.set(now);
            record.due_time.set(due_time);
            record.last_accrual.set(now);
            record.principal.set(principal);
            record.installments.set(installments);
            record.period_seconds.set(period);
            record.installment_amount.set(payment);
            add_loan(&mut pool, &record);
        }
        (reason, PoolSeeds::new(&pool))
    };
    let route = Route {
        app: &pool_key,
        remote_eid: delivery.src_eid,
        program_id,
    };
    let outbound = Outbound {
        payer: delivery.payer,
        peer: delivery.peer,
        nonce,
        packets,
        system_program: delivery.system_program,
    };
    let prepared = prepare(delivery.endpoint, &route, &outbound)?;

    // Effects: record the loan, disburse (accepted only), answer.
    let bump = [loan_bump];
    let seeds = [
        Seed::from(pda::POOL_LOAN),
        Seed::from(&request.loan_id),
        Seed::from(&bump),
    ];
    create_pda(&NewAccount {
        payer: delivery.payer,
        account: loan,
        space: PoolLoan::space(record.installments.get()),
        owner: program_id,
        seeds: &seeds,
    })?;
    if let Some(reason) = reason {
        record.reject_reason = reason.code();
        init_pool_loan(loan, &record)?;
        let answer = LoanRejected {
            loan_id: request.loan_id,
            reason,
        };
        prepared.send(&answer.encode(), outbound)?;
        return Ok(());
    }
    init_pool_loan(loan, &record)?;
    let seeds = signer_seeds.seeds();
    let transfer = TokenTransfer {
        from: liquidity,
        to: recipient_tokens,
        authority: pool_account,
        amount: record.principal.get(),
    };
    token_transfer(&transfer, &[Signer::from(&seeds)])?;
    let answer = LoanActive {
        loan_id: request.loan_id,
        principal: request.principal,
        rate_bps: record.rate_bps.get(),
        start_time: now,
        due_time: record.due_time.get(),
    };
    prepared.send(&answer.encode(), outbound)?;
    Ok(())
}

/// The installment row of the `OPEN_LOAN` checks (shared/LOANS.md
/// "Installments"): `installments` in `[1, max_installments]`, dividing the
/// term, and, for more than one, a period the pool allows.
fn installments_allowed(pool: &Pool, term: u64, installments: u16) -> bool {
    if installments == 0 || installments > pool.max_installments.get() {
        return false;
    }
    let count = installments as u64;
    if !term.is_multiple_of(count) {
        return false;
    }
    let period = term / count;
    installments == 1
        || pool.installment_periods[..INSTALLMENT_PERIOD_SLOTS]
            .iter()
            .any(|allowed| allowed.get() != 0 && allowed.get() == period)
}

/// What the `OPEN_LOAN` checks look at.
struct OpenDecision<'a> {
    pool: &'a Pool,
    request: &'a OpenLoan,
    pool_address: &'a [u8; 32],
    held: u64,
    now: u64,
}

/// The first failing check of shared/LOANS.md's `OPEN_LOAN` table, or
/// `None` when the loan can be disbursed.
fn decide(
    decision: &OpenDecision,
    key: &CollateralKey,
    config_account: &AccountView,
    price_account: &AccountView,
) -> Result<Option<RejectReason>, ProgramError> {
    let OpenDecision {
        pool,
        request,
        pool_address,
        held,
        now,
    } = *decision;
    if pool.paused != 0 {
        return Ok(Some(RejectReason::Paused));
    }
    if now > request.expires_at {
        return Ok(Some(RejectReason::Expired));
    }
    let term = request.term_seconds;
    if term < pool.min_term_seconds.get()
        || term > pool.max_term_seconds.get()
        || request.principal == 0
    {
        return Ok(Some(RejectReason::InvalidTerms));
    }
    if !installments_allowed(pool, term, request.installments) {
        return Ok(Some(RejectReason::InvalidTerms));
    }
    // Any 32 bytes name a Solana address; zero and the pool's own accounts
    // (whose stablecoin is its assets) cannot receive a loan.
    let recipient = &request.recipient;
    if recipient == &[0; 32] || recipient == pool_address || recipient == &pool.liquidity {
        return Ok(Some(RejectReason::InvalidTerms));
    }
    let Some(config) = collateral_config(config_account, key)? else {
        return Ok(Some(RejectReason::UnsupportedCollateral));
    };
    let (price, updated_at) = price_of(price_account, &config.price_id, key.program_id)?;
    if !is_fresh(price, updated_at, now, pool.max_price_age.get()) {
        return Ok(Some(RejectReason::UnsupportedCollateral));
    }
    if pool.rate_bps.get() > request.max_rate_bps {
        return Ok(Some(RejectReason::RateAboveMax));
    }
    let value = collateral_value(request.collateral_amount, price);
    if exceeds_ltv(request.principal, value, config.max_ltv_bps.get() as u32) {
        return Ok(Some(RejectReason::LtvTooHigh));
    }
    // The second bound keeps the performing principal a u64; only a mint
    // with more than 2^64 base units out could reach it.
    let performing = pool.performing_principal.get() as u128;
    if request.principal > held as u128
        || performing.saturating_add(request.principal) > u64::MAX as u128
    {
        return Ok(Some(RejectReason::InsufficientLiquidity));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn first_deposit_gets_a_thousand_shares_per_unit() {
        let empty = ShareTotals {
            assets: 0,
            supply: 0,
        };
        assert_eq!(to_shares(1_000_000, &empty, false), Ok(1_000_000_000));
        assert_eq!(
            to_assets(
                1_000_000_000,
                &ShareTotals {
                    assets: 1_000_000,
                    supply: 1_000_000_000
                }
            ),
            Ok(1_000_000)
        );
    }

    #[test]
    fn rounding_favours_the_pool() {
        let totals = ShareTotals {
            assets: 3,
            supply: 2_000,
        };
        // 1 × 3000 / 4 = 750 exactly; 2 × 3000 / 4 = 1500.
        assert_eq!(to_shares(1, &totals, false), Ok(750));
        let odd = ShareTotals {
            assets: 6,
            supply: 2_000,
        };
        // 1 × 3000 / 7 = 428.57…
        assert_eq!(to_shares(1, &odd, false), Ok(428));
        assert_eq!(to_shares(1, &odd, true), Ok(429));
        // 428 × 7 / 3000 = 0.99…: redeeming what a deposit minted never
        // returns more than was deposited.
        assert_eq!(to_assets(428, &odd), Ok(0));
    }

    #[test]
    fn conversions_report_overflow() {
        let huge = ShareTotals {
            assets: 0,
            supply: u64::MAX,
        };
        assert_eq!(
            to_shares(1, &huge, false),
            Err(LoanbridgeError::ArithmeticOverflow.into())
        );
        let full = ShareTotals {
            assets: u64::MAX,
            supply: 0,
        };
        assert_eq!(
            to_assets(1, &full),
            Err(LoanbridgeError::ArithmeticOverflow.into())
        );
        // A result past u64 is an overflow too, not a wrap.
        let cheap = ShareTotals {
            assets: 0,
            supply: u64::MAX - 1_000,
        };
        assert_eq!(
            to_shares(u64::MAX, &cheap, false),
            Err(LoanbridgeError::ArithmeticOverflow.into())
        );
    }

    #[test]
    fn freshness_follows_loans_md() {
        assert!(is_fresh(1, 100, 100, 0));
        assert!(is_fresh(1, 100, 160, 60));
        assert!(!is_fresh(1, 100, 161, 60));
        assert!(!is_fresh(0, 100, 100, 60));
        assert!(!is_fresh(1, 0, 10, u64::MAX));
        assert!(!is_fresh(1, 101, 100, 60));
    }

    const DAY: u64 = 86_400;
    const YEAR: u64 = crate::math::SECONDS_PER_YEAR;

    fn empty_pool(width: u64, now: u64) -> Pool {
        Pool {
            header: Header::new(Pool::DISCRIMINATOR, 255),
            paused: 0,
            stablecoin_mint: [0; 32],
            share_mint: [0; 32],
            liquidity: [0; 32],
            share_mint_bump: 0,
            liquidity_bump: 0,
            rate_bps: U32::new(1_000),
            min_term_seconds: U64::new(0),
            max_term_seconds: U64::new(MAX_TERM_BUCKETS * width),
            grace_period_seconds: U64::new(0),
            max_price_age: U64::new(0),
            due_bucket_seconds: U64::new(width),
            due_cursor: U64::new(due::first_not_due(now, width)),
            performing_principal: U64::new(0),
            performing_interest: U128::new(0),
            rate_weight: U128::new(0),
            anchor: [0; 32],
            due_buckets: [crate::state::DueBucket::default(); crate::state::DUE_BUCKETS],
            max_installments: U16::new(12),
            installment_periods: [U64::new(0); 4],
        }
    }

    /// A loan opened as `receive` opens one: flush, round the due time, add.
    fn open(pool: &mut Pool, principal: u64, rate_bps: u32, term: u64, now: u64) -> PoolLoan {
        open_in(pool, principal, rate_bps, (term, 1), now)
    }

    /// [`open`] for a loan of `installments` equal payments over `term`
    /// (which they divide).
    fn open_in(
        pool: &mut Pool,
        principal: u64,
        rate_bps: u32,
        (term, installments): (u64, u16),
        now: u64,
    ) -> PoolLoan {
        due::flush(pool, now);
        let due_time = due::due_time(now, term, pool.due_bucket_seconds.get()).unwrap();
        let period = term / installments as u64;
        let loan = PoolLoan {
            header: Header::new(PoolLoan::DISCRIMINATOR, 255),
            status: status::ACTIVE,
            reject_reason: 0,
            src_eid: U32::new(1),
            rate_bps: U32::new(rate_bps),
            start_time: U64::new(now),
            due_time: U64::new(due_time),
            last_accrual: U64::new(now),
            principal: U64::new(principal),
            interest: U128::new(0),
            repaid: U128::new(0),
            collateral_amount: U128::new(0),
            collateral_asset: [0; 32],
            loan_id: [0; 32],
            borrower: [0; 32],
            recipient: [0; 32],
            installments: U16::new(installments),
            paid_installments: U16::new(0),
            off_book: 0,
            period_seconds: U64::new(period),
            installment_amount: U128::new(
                schedule::payment(&schedule::Terms {
                    principal: principal as u128,
                    rate_bps,
                    period_seconds: period,
                    installments,
                })
                .unwrap(),
            ),
        };
        add_loan(pool, &loan);
        loan
    }

    /// A payment as `Repay` makes one (interest first); returns what was paid.
    fn pay(pool: &mut Pool, loan: &mut PoolLoan, amount: u64, now: u64) -> u128 {
        let accrued = accrue(loan, now);
        let interest = loan.interest.get();
        let paid = (amount as u128).min(debt(loan));
        let interest_paid = paid.min(interest);
        let principal_paid = (paid - interest_paid) as u64;
        loan.principal.set(loan.principal.get() - principal_paid);
        loan.interest.set(interest - interest_paid);
        loan.repaid.set(loan.repaid.get() + paid);
        if loan.principal.get() == 0 {
            loan.status = status::REPAID;
        }
        let change = LoanChange {
            accrued,
            principal_out: principal_paid,
            interest_out: interest_paid,
        };
        apply_repayment(pool, loan, &change, now);
        paid
    }

    /// A default or liquidation as `settle` writes one off.
    fn write_off(pool: &mut Pool, loan: &mut PoolLoan, now: u64) {
        let accrued = accrue(loan, now);
        let change = LoanChange {
            accrued,
            principal_out: loan.principal.get(),
            interest_out: loan.interest.get(),
        };
        loan.status = status::DEFAULTED;
        apply(pool, loan, &change, now);
    }

    /// What each active loan not past its due time is worth at `now`, by
    /// brute force: principal + interest + its own rounded-down accrual.
    fn performing_by_hand(loans: &[PoolLoan], now: u64, width: u64) -> (u128, u128) {
        // Performing: active, never found past an installment's due time,
        // and not past its first unpaid installment's.
        let live = loans.iter().filter(|loan| {
            loan.status == status::ACTIVE && loan.off_book == 0 && now <= booked_due(loan, width)
        });
        live.fold((0, 0), |(value, count), loan| {
            let pending = scaled_interest(
                loan.principal.get(),
                loan.rate_bps.get(),
                now - loan.last_accrual.get(),
            );
            let worth =
                loan.principal.get() as u128 + loan.interest.get() + interest_of_scaled(pending);
            (value + worth, count + 1)
        })
    }

    #[test]
    fn accrual_moves_time_only_forward() {
        let mut pool = empty_pool(DAY, 1_000);
        let mut loan = open(&mut pool, 31_536_000_000, 1_000, DAY, 1_000);
        assert_eq!(accrue(&mut loan, 900), Accrual::default());
        assert_eq!((loan.interest.get(), loan.last_accrual.get()), (0, 1_000));
        // 10% a year on 31,536,000,000 for 1 s = 100.
        let accrued = accrue(&mut loan, 1_001);
        assert_eq!(accrued.added, 100);
        assert_eq!((loan.interest.get(), loan.last_accrual.get()), (100, 1_001));
    }

    #[test]
    fn due_times_round_up_to_the_bucket_boundary() {
        assert_eq!(due::due_time(100, 3_500, 3_600), Some(3_600));
        assert_eq!(due::due_time(100, 3_501, 3_600), Some(7_200));
        assert_eq!(due::due_time(0, DAY, DAY), Some(DAY));
        assert_eq!(due::due_time(u64::MAX, 1, DAY), None);
        assert_eq!(due::first_not_due(0, DAY), 0);
        assert_eq!(due::first_not_due(DAY, DAY), 1);
        assert_eq!(due::first_not_due(DAY + 1, DAY), 2);
    }

    #[test]
    fn pool_assets_count_interest_as_it_accrues_not_when_paid() {
        // One loan of 1,000,000 at 10% for half a year: 50,000 of interest.
        let mut pool = empty_pool(YEAR, 0);
        let mut loan = open(&mut pool, 1_000_000, 1_000, YEAR / 2, 0);
        assert_eq!(total_assets(&pool, 0, 0), 1_000_000);
        let half_year = YEAR / 2;
        assert_eq!(total_assets(&pool, 0, half_year), 1_050_000);
        // Accruing and paying the interest moves it from loans to stablecoin
        // held: same assets.
        assert_eq!(pay(&mut pool, &mut loan, 50_000, half_year), 50_000);
        assert_eq!(loan.interest.get(), 0);
        assert_eq!(total_assets(&pool, 50_000, half_year), 1_050_000);
        // Repaid in full: the stablecoin comes back, the sums empty.
        pay(&mut pool, &mut loan, 1_000_000, half_year);
        assert_eq!(total_assets(&pool, 1_050_000, half_year), 1_050_000);
        assert_eq!(due::performing_at(&pool, half_year), due::Sums::default());
    }

    #[test]
    fn an_overdue_loan_leaves_pool_assets_at_its_due_time() {
        // The front-run default: one loan of 1,000,000 due at day 1 (grace
        // is irrelevant here). At its due time it still counts; one second
        // later it counts zero, before anyone declares the default, so a
        // lender redeeming then gets the marked-down price.
        let mut pool = empty_pool(DAY, 0);
        let mut loan = open(&mut pool, 1_000_000, 1_000, DAY, 0);
        let on_time = total_assets(&pool, 0, DAY);
        assert_eq!(on_time, 1_000_000 + 1_000_000 / 10 / 365);
        assert_eq!(total_assets(&pool, 0, DAY + 1), 0);
        // Reading without flushing and flushing agree.
        due::flush(&mut pool, DAY + 1);
        assert_eq!(due::performing_at(&pool, DAY + 1), due::Sums::default());
        assert_eq!(pool.due_cursor.get(), 2);
        // A late payment counts only in the stablecoin held; the sums stay
        // empty and the write-off changes nothing more.
        pay(&mut pool, &mut loan, 500, DAY + 10);
        assert_eq!(total_assets(&pool, 500, DAY + 10), 500);
        write_off(&mut pool, &mut loan, 2 * DAY);
        assert_eq!(total_assets(&pool, 500, 2 * DAY), 500);
        assert_eq!(due::performing_at(&pool, 2 * DAY), due::Sums::default());
    }

    #[test]
    fn a_write_off_before_the_due_time_takes_the_loan_out_whole() {
        let mut pool = empty_pool(DAY, 0);
        let other = open(&mut pool, 2_000_000, 500, 10 * DAY, 0);
        let mut liquidated = open(&mut pool, 1_000_000, 1_000, 10 * DAY, 0);
        write_off(&mut pool, &mut liquidated, 3 * DAY);
        let (value, _) = performing_by_hand(&[other], 3 * DAY, DAY);
        assert_eq!(total_assets(&pool, 0, 3 * DAY) as u128, value);
    }

    /// Deterministic pseudo-random numbers (an LCG) for the property test.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, bound: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % bound
        }
    }

    #[test]
    fn pool_assets_match_the_performing_loans_through_laps_of_the_ring() {
        // Opens, partial and full repayments, write-offs before and after
        // due times, and idle spells longer than the ring, for a narrow and
        // a wide bucket: pool assets are the performing loans' worth, at
        // most one unit per performing loan above it, whether read without
        // flushing or after a flush.
        for (width, seed) in [(3_600u64, 7u64), (DAY, 11), (7 * DAY, 13)] {
            let mut random = Lcg(seed);
            let mut pool = empty_pool(width, 1_000_000);
            let mut loans: std::vec::Vec<PoolLoan> = std::vec::Vec::new();
            let mut now = 1_000_000u64;
            for step in 0..3_000 {
                now += match random.below(20) {
                    0 => 70 * width,
                    1..=4 => random.below(3 * width),
                    _ => random.below(width / 4),
                };
                match random.below(6) {
                    0 | 1 => {
                        let term = random.below(MAX_TERM_BUCKETS * width + 1);
                        let principal = 1 + random.below(10_000_000_000);
                        let rate = random.below(MAX_RATE_BPS as u64 + 1) as u32;
                        // Bullet loans, and installment loans over terms
                        // their count divides.
                        let installments = [1u16, 1, 2, 3, 12][random.below(5) as usize];
                        let term = term - term % installments as u64;
                        loans.push(open_in(
                            &mut pool,
                            principal,
                            rate,
                            (term.max(installments as u64), installments),
                            now,
                        ));
                    }
                    choice if !loans.is_empty() => {
                        let index = random.below(loans.len() as u64) as usize;
                        let loan = &mut loans[index];
                        if loan.status == status::ACTIVE {
                            match choice {
                                2 => {
                                    let amount = 1 + random.below(loan.principal.get() / 2 + 10);
                                    pay(&mut pool, loan, amount, now);
                                }
                                3 => {
                                    // About one installment, to complete some.
                                    let amount = loan.installment_amount.get() as u64;
                                    pay(&mut pool, loan, amount.max(1), now);
                                }
                                4 => {
                                    pay(&mut pool, loan, u64::MAX, now);
                                }
                                _ => write_off(&mut pool, loan, now),
                            }
                        }
                    }
                    _ => {}
                }
                let (value, count) = performing_by_hand(&loans, now, width);
                let read = total_assets(&pool, 0, now) as u128;
                assert!(
                    read >= value && read <= value + count,
                    "width {width} step {step}: {read} for {value} over {count} loans"
                );
                if random.below(3) == 0 {
                    due::flush(&mut pool, now);
                    assert_eq!(total_assets(&pool, 0, now) as u128, read);
                }
            }
        }
    }

    #[test]
    fn absurd_interest_saturates_instead_of_failing() {
        let mut pool = empty_pool(DAY, 0);
        let mut loan = open(&mut pool, u64::MAX, u32::MAX, DAY, 0);
        // Interest already near the top, then the widest accrual.
        loan.interest.set(u128::MAX - 1);
        accrue(&mut loan, u64::MAX);
        assert_eq!(loan.interest.get(), u128::MAX);
        assert_eq!(debt(&loan), u128::MAX);
        assert_eq!(total_assets(&pool, u64::MAX, 0), u64::MAX - 1);
        write_off(&mut pool, &mut loan, u64::MAX);
        assert_eq!(total_assets(&pool, 0, u64::MAX), 0);
    }

    #[test]
    fn terms_above_the_rate_cap_or_the_ring_or_with_an_inverted_range_are_refused() {
        let terms = |rate_bps, min_term_seconds, max_term_seconds| LoanTermsArgs {
            rate_bps,
            min_term_seconds,
            max_term_seconds,
            grace_period_seconds: 0,
        };
        assert_eq!(check_terms(&terms(MAX_RATE_BPS, 1, 10), DAY), Ok(()));
        assert_eq!(
            check_terms(&terms(MAX_RATE_BPS + 1, 1, 10), DAY),
            Err(LoanbridgeError::PoolRateTooHigh)
        );
        assert_eq!(
            check_terms(&terms(0, 11, 10), DAY),
            Err(LoanbridgeError::PoolInvalidTermRange)
        );
        assert_eq!(check_terms(&terms(0, 1, 62 * DAY), DAY), Ok(()));
        assert_eq!(
            check_terms(&terms(0, 1, 62 * DAY + 1), DAY),
            Err(LoanbridgeError::PoolMaxTermAboveBucketRing)
        );
    }
}
