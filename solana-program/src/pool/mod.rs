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
//! `[b"liquidity"]`) + outstanding principal of active loans + their
//! interest accrued to now (shared/LOANS.md "Interest in pool assets"), so
//! the share price moves with time, not with repayments: a deposit just
//! before a large repayment earns only the interest of the time it was in.
//! Share conversions follow OpenZeppelin's ERC-4626 with virtual shares:
//! `shares = assets × (supply + 10^3) / (assets_total + 1)` and back; pool
//! assets past `u64::MAX` (only with absurd interest) price shares at
//! `u64::MAX`.

use pinocchio::cpi::{Seed, Signer};
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_token_program, require_writable, token_account,
    token_transfer, NewAccount, TokenTransfer,
};
use crate::endpoint::send::{prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::instruction::LoanTermsArgs;
use crate::math::{
    collateral_value, exceeds_ltv, interest_of_scaled, mul_div_u64, rate_weight, scaled_interest,
    U256,
};
use crate::pda;
use crate::processor::deliver::Delivery;
use crate::processor::open::now;
use crate::state::pool::pool_loan_status as status;
use crate::state::{
    init, load, load_mut, CollateralConfig, Header, Layout, Pool, PoolLoan, Price, U128, U32, U64,
};
use crate::wire::{LoanActive, LoanMessage, LoanRejected, OpenLoan, RejectReason};

/// Highest annual rate a pool may charge (1,000 % a year): with it, interest
/// on any `u64` principal stays far inside `u128` for centuries, and past
/// that it saturates (shared/LOANS.md "Bounds so every loan can close").
pub const MAX_RATE_BPS: u32 = 100_000;

/// Checks loan terms as configured: a term range and a capped rate.
pub fn check_terms(terms: &LoanTermsArgs) -> Result<(), LoanbridgeError> {
    if terms.min_term_seconds > terms.max_term_seconds {
        return Err(LoanbridgeError::PoolInvalidTermRange);
    }
    if terms.rate_bps > MAX_RATE_BPS {
        return Err(LoanbridgeError::PoolRateTooHigh);
    }
    Ok(())
}

/// Extra decimals of shares over the stablecoin (virtual-shares offset).
pub const SHARE_DECIMALS_OFFSET: u8 = 3;
/// `10^SHARE_DECIMALS_OFFSET`: the virtual shares.
pub const VIRTUAL_SHARES: u64 = 1_000;

/// Loads the pool account and checks it is the PDA `[b"pool"]`.
pub fn load_pool(account: &AccountView, program_id: &Address) -> Result<Pool, ProgramError> {
    let pool = *load::<Pool>(account, program_id)?;
    pda::check(account, &[pda::POOL], pool.header.bump, program_id)?;
    Ok(pool)
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

/// `pending_scaled` brought forward to `now`, without storing it.
fn pending_at(pool: &Pool, now: u64) -> U256 {
    let elapsed = now.saturating_sub(pool.last_update.get());
    let added = U256::from_u128(pool.rate_weight.get())
        .checked_mul_u64(elapsed)
        .unwrap_or(U256::MAX);
    U256::from_le_bytes(&pool.pending_scaled).saturating_add(added)
}

/// Brings `pending_scaled` to `now` (`pendingScaled += rateWeight × (now −
/// lastUpdate)`); a clock at or before `last_update` changes nothing.
pub fn sync(pool: &mut Pool, now: u64) {
    if now <= pool.last_update.get() {
        return;
    }
    pool.pending_scaled = pending_at(pool, now).to_le_bytes();
    pool.last_update.set(now);
}

/// Pool assets at `now`: stablecoin held + outstanding principal + interest
/// accrued into loans + the pending interest rounded down, at most
/// `u64::MAX − 1` (share conversions add one).
pub fn total_assets(pool: &Pool, held: u64, now: u64) -> u64 {
    let pending = interest_of_scaled(pending_at(pool, now));
    U256::from_u128(held as u128)
        .saturating_add(U256::from_u128(pool.outstanding_principal.get() as u128))
        .saturating_add(U256::from_u128(pool.total_interest.get()))
        .saturating_add(U256::from_u128(pending))
        .to_u128()
        .and_then(|assets| u64::try_from(assets).ok())
        .unwrap_or(u64::MAX)
        .min(u64::MAX - 1)
}

/// A loan enters the pool's aggregate (it was just disbursed at `now`).
pub fn add_loan(pool: &mut Pool, principal: u64, rate_bps: u32, now: u64) -> ProgramResult {
    sync(pool, now);
    let outstanding = pool
        .outstanding_principal
        .get()
        .checked_add(principal)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    pool.outstanding_principal.set(outstanding);
    let weight = pool
        .rate_weight
        .get()
        .saturating_add(rate_weight(principal, rate_bps));
    pool.rate_weight.set(weight);
    Ok(())
}

/// Principal and interest leave the pool's aggregate (paid or written
/// off). Saturating: a repayment, default or liquidation never fails here.
pub fn remove_from_pool(pool: &mut Pool, loan: &PoolLoan, principal: u64, interest: u128) {
    let outstanding = pool.outstanding_principal.get().saturating_sub(principal);
    pool.outstanding_principal.set(outstanding);
    let total_interest = pool.total_interest.get().saturating_sub(interest);
    pool.total_interest.set(total_interest);
    let weight = pool
        .rate_weight
        .get()
        .saturating_sub(rate_weight(principal, loan.rate_bps.get()));
    pool.rate_weight.set(weight);
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

/// Adds the interest accrued since the last accrual and moves the accrual
/// time to `now` (shared/LOANS.md "Interest"), saturating at `u128::MAX`;
/// in the pool, the loan's exact accrual moves out of `pending_scaled` and
/// its rounded-down interest into `total_interest`. A clock at or before the
/// last accrual adds nothing and moves nothing. Never fails.
pub fn accrue(loan: &mut PoolLoan, pool: &mut Pool, now: u64) {
    sync(pool, now);
    let last = loan.last_accrual.get();
    if now <= last {
        return;
    }
    let scaled = scaled_interest(loan.principal.get(), loan.rate_bps.get(), now - last);
    let added = interest_of_scaled(scaled);
    loan.interest.set(loan.interest.get().saturating_add(added));
    loan.last_accrual.set(now);
    let pending = U256::from_le_bytes(&pool.pending_scaled).saturating_sub(scaled);
    pool.pending_scaled = pending.to_le_bytes();
    let total_interest = pool.total_interest.get().saturating_add(added);
    pool.total_interest.set(total_interest);
}

/// Principal plus accrued interest, saturating at `u128::MAX` (the wire's
/// `uint128`).
pub fn debt(loan: &PoolLoan) -> u128 {
    (loan.principal.get() as u128).saturating_add(loan.interest.get())
}

/// Loads an active pool loan (PDA `[b"pool_loan", loan_id]`, stored bump).
pub fn load_active_loan(
    account: &AccountView,
    program_id: &Address,
) -> Result<PoolLoan, ProgramError> {
    let loan = *load::<PoolLoan>(account, program_id)?;
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
/// 8. `[writable]` outbound packet, PDA `[b"packet", pool, srcEid, nonce]` (created)
///
/// Checks in shared/LOANS.md's order; the first failure records the loan as
/// `Rejected` and answers `LOAN_REJECTED`; otherwise disburses and answers
/// `LOAN_ACTIVE`. A loan id the pool already knows fails (`PoolLoanExists`)
/// without an answer.
pub fn receive(delivery: &Delivery, accounts: &mut [AccountView]) -> ProgramResult {
    let program_id = delivery.program_id;
    let [pool_account, loan, config_account, price_account, liquidity, recipient_tokens, token_program, nonce, packet, ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_writable(pool_account)?;
    require_writable(loan)?;
    require_writable(liquidity)?;
    require_token_program(token_program)?;
    let pool = load_pool(pool_account, program_id)?;
    let LoanMessage::OpenLoan(request) = LoanMessage::decode(delivery.message)? else {
        return Err(LoanbridgeError::PoolUnexpectedMessageType.into());
    };
    if loan.owned_by(program_id) {
        return Err(match load::<PoolLoan>(loan, program_id) {
            Ok(known) if known.loan_id == request.loan_id => LoanbridgeError::PoolLoanExists,
            _ => LoanbridgeError::InvalidPda,
        }
        .into());
    }
    let loan_bump = pda::check_canonical(loan, &[pda::POOL_LOAN, &request.loan_id], program_id)?;
    let held = liquidity_held(&pool, liquidity)?;
    let now = now()?;
    let key = CollateralKey {
        remote_eid: delivery.src_eid,
        asset: &request.collateral_asset,
        program_id,
    };
    let decision = OpenDecision {
        pool: &pool,
        request: &request,
        pool_address: pool_account.address().as_array(),
        held,
        now,
    };
    let reason = decide(&decision, &key, config_account, price_account)?;
    if reason.is_none() {
        let token = token_account(recipient_tokens)?;
        if token.mint != pool.stablecoin_mint || token.owner != request.recipient {
            return Err(LoanbridgeError::PoolWrongRecipientAccount.into());
        }
        require_writable(recipient_tokens)?;
    }
    let pool_key = pool_account.address().to_bytes();
    let route = Route {
        app: &pool_key,
        remote_eid: delivery.src_eid,
        program_id,
    };
    let outbound = Outbound {
        payer: delivery.payer,
        peer: delivery.peer,
        nonce,
        packet,
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
        space: PoolLoan::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
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
    };
    if let Some(reason) = reason {
        record.reject_reason = reason.code();
        init(loan, &record)?;
        let answer = LoanRejected {
            loan_id: request.loan_id,
            reason,
        };
        prepared.send(&answer.encode(), outbound)?;
        return Ok(());
    }

    // Accepted: the principal is at most the stablecoin held, so it fits u64.
    let principal =
        u64::try_from(request.principal).map_err(|_| LoanbridgeError::AmountTooLarge)?;
    let due_time = now
        .checked_add(request.term_seconds)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    record.status = status::ACTIVE;
    record.rate_bps = pool.rate_bps;
    record.start_time.set(now);
    record.due_time.set(due_time);
    record.last_accrual.set(now);
    record.principal.set(principal);
    init(loan, &record)?;
    add_loan(
        &mut *load_mut::<Pool>(pool_account, program_id)?,
        principal,
        pool.rate_bps.get(),
        now,
    )?;
    let signer_seeds = PoolSeeds::new(&pool);
    let seeds = signer_seeds.seeds();
    let transfer = TokenTransfer {
        from: liquidity,
        to: recipient_tokens,
        authority: pool_account,
        amount: principal,
    };
    token_transfer(&transfer, &[Signer::from(&seeds)])?;
    let answer = LoanActive {
        loan_id: request.loan_id,
        principal: request.principal,
        rate_bps: pool.rate_bps.get(),
        start_time: now,
        due_time,
    };
    prepared.send(&answer.encode(), outbound)?;
    Ok(())
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
    if request.principal > held as u128 {
        return Ok(Some(RejectReason::InsufficientLiquidity));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
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

    fn empty_pool(now: u64) -> Pool {
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
            max_term_seconds: U64::new(0),
            grace_period_seconds: U64::new(0),
            max_price_age: U64::new(0),
            outstanding_principal: U64::new(0),
            total_interest: U128::new(0),
            rate_weight: U128::new(0),
            pending_scaled: [0; 32],
            last_update: U64::new(now),
        }
    }

    fn active_loan(principal: u64, rate_bps: u32, now: u64) -> PoolLoan {
        PoolLoan {
            header: Header::new(PoolLoan::DISCRIMINATOR, 255),
            status: status::ACTIVE,
            reject_reason: 0,
            src_eid: U32::new(1),
            rate_bps: U32::new(rate_bps),
            start_time: U64::new(now),
            due_time: U64::new(now),
            last_accrual: U64::new(now),
            principal: U64::new(principal),
            interest: U128::new(0),
            repaid: U128::new(0),
            collateral_amount: U128::new(0),
            collateral_asset: [0; 32],
            loan_id: [0; 32],
            borrower: [0; 32],
            recipient: [0; 32],
        }
    }

    #[test]
    fn accrual_moves_time_only_forward() {
        let mut pool = empty_pool(1_000);
        let mut loan = active_loan(31_536_000_000, 1_000, 1_000);
        add_loan(&mut pool, 31_536_000_000, 1_000, 1_000).unwrap();
        accrue(&mut loan, &mut pool, 900);
        assert_eq!((loan.interest.get(), loan.last_accrual.get()), (0, 1_000));
        // 10% a year on 31,536,000,000 for 1 s = 100.
        accrue(&mut loan, &mut pool, 1_001);
        assert_eq!((loan.interest.get(), loan.last_accrual.get()), (100, 1_001));
        assert_eq!(pool.total_interest.get(), 100);
        assert_eq!(U256::from_le_bytes(&pool.pending_scaled), U256::ZERO);
    }

    #[test]
    fn pool_assets_count_interest_as_it_accrues_not_when_paid() {
        // One loan of 1,000,000 at 10% for half a year: 50,000 of interest.
        let mut pool = empty_pool(0);
        add_loan(&mut pool, 1_000_000, 1_000, 0).unwrap();
        assert_eq!(total_assets(&pool, 0, 0), 1_000_000);
        let half_year = SECONDS_PER_YEAR_FOR_TESTS / 2;
        assert_eq!(total_assets(&pool, 0, half_year), 1_050_000);
        // Accruing the loan moves interest from pending to accrued: same assets.
        let mut loan = active_loan(1_000_000, 1_000, 0);
        accrue(&mut loan, &mut pool, half_year);
        assert_eq!(loan.interest.get(), 50_000);
        assert_eq!(total_assets(&pool, 0, half_year), 1_050_000);
        // Repaid in full: the stablecoin comes back, the aggregate empties.
        remove_from_pool(&mut pool, &loan, 1_000_000, 50_000);
        assert_eq!(total_assets(&pool, 1_050_000, half_year), 1_050_000);
        assert_eq!(pool.rate_weight.get(), 0);
    }

    #[test]
    fn pool_assets_are_at_most_one_unit_per_loan_above_the_loans_own_accruals() {
        let mut pool = empty_pool(0);
        let mut loans = [active_loan(7, 333, 0), active_loan(1_000_003, 77, 0)];
        for loan in &loans {
            add_loan(&mut pool, loan.principal.get(), loan.rate_bps.get(), 0).unwrap();
        }
        for now in [1u64, 17, 86_400, 9_999_999] {
            accrue(&mut loans[0], &mut pool, now);
            let own: u128 = loans
                .iter()
                .map(|loan| {
                    let pending = scaled_interest(
                        loan.principal.get(),
                        loan.rate_bps.get(),
                        now - loan.last_accrual.get(),
                    );
                    loan.interest.get() + interest_of_scaled(pending)
                })
                .sum();
            let principal: u128 = loans.iter().map(|loan| loan.principal.get() as u128).sum();
            let assets = total_assets(&pool, 0, now) as u128;
            assert!(
                assets >= principal + own && assets <= principal + own + 2,
                "at {now}"
            );
        }
    }

    #[test]
    fn absurd_interest_saturates_instead_of_failing() {
        let mut pool = empty_pool(0);
        let mut loan = active_loan(u64::MAX, u32::MAX, 0);
        add_loan(&mut pool, u64::MAX, u32::MAX, 0).unwrap();
        // Interest already near the top, then the widest accrual.
        loan.interest.set(u128::MAX - 1);
        pool.total_interest.set(u128::MAX - 1);
        accrue(&mut loan, &mut pool, u64::MAX);
        assert_eq!(loan.interest.get(), u128::MAX);
        assert_eq!(debt(&loan), u128::MAX);
        assert_eq!(total_assets(&pool, u64::MAX, u64::MAX), u64::MAX - 1);
        remove_from_pool(&mut pool, &loan, u64::MAX, u128::MAX);
        assert_eq!(pool.outstanding_principal.get(), 0);
    }

    #[test]
    fn terms_above_the_rate_cap_or_with_an_inverted_range_are_refused() {
        let terms = |rate_bps, min_term_seconds| LoanTermsArgs {
            rate_bps,
            min_term_seconds,
            max_term_seconds: 10,
            grace_period_seconds: 0,
        };
        assert_eq!(check_terms(&terms(MAX_RATE_BPS, 1)), Ok(()));
        assert_eq!(
            check_terms(&terms(MAX_RATE_BPS + 1, 1)),
            Err(LoanbridgeError::PoolRateTooHigh)
        );
        assert_eq!(
            check_terms(&terms(0, 11)),
            Err(LoanbridgeError::PoolInvalidTermRange)
        );
    }

    const SECONDS_PER_YEAR_FOR_TESTS: u64 = crate::math::SECONDS_PER_YEAR;
}
