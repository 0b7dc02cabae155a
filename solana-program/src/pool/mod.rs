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
//! `[b"liquidity"]`) + outstanding principal of active loans. Share
//! conversions follow OpenZeppelin's ERC-4626 with virtual shares:
//! `shares = assets × (supply + 10^3) / (assets_total + 1)` and back.

use pinocchio::cpi::{Seed, Signer};
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_token_program, require_writable, token_account,
    token_transfer, NewAccount, TokenTransfer,
};
use crate::endpoint::send::{prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::math::{accrued_interest, collateral_value, exceeds_ltv, mul_div_u64};
use crate::pda;
use crate::processor::deliver::Delivery;
use crate::processor::open::now;
use crate::state::pool::pool_loan_status as status;
use crate::state::{
    init, load, load_mut, CollateralConfig, Header, Layout, Pool, PoolLoan, Price, U128, U32, U64,
};
use crate::wire::{LoanActive, LoanMessage, LoanRejected, OpenLoan, RejectReason};

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

/// Pool assets: stablecoin held plus outstanding principal.
pub fn total_assets(pool: &Pool, held: u64) -> Result<u64, ProgramError> {
    held.checked_add(pool.outstanding_principal.get())
        .ok_or_else(|| LoanbridgeError::ArithmeticOverflow.into())
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
/// time to `now` (shared/LOANS.md "Interest"). A clock at or before the last
/// accrual adds nothing and moves nothing.
pub fn accrue(loan: &mut PoolLoan, now: u64) -> ProgramResult {
    let last = loan.last_accrual.get();
    if now <= last {
        return Ok(());
    }
    let added = accrued_interest(
        loan.principal.get() as u128,
        loan.rate_bps.get(),
        now - last,
    )
    .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    let interest = loan
        .interest
        .get()
        .checked_add(added)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    loan.interest.set(interest);
    loan.last_accrual.set(now);
    Ok(())
}

/// Principal plus accrued interest.
pub fn debt(loan: &PoolLoan) -> Result<u128, ProgramError> {
    (loan.principal.get() as u128)
        .checked_add(loan.interest.get())
        .ok_or_else(|| LoanbridgeError::ArithmeticOverflow.into())
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
    {
        let mut state = load_mut::<Pool>(pool_account, program_id)?;
        let outstanding = state
            .outstanding_principal
            .get()
            .checked_add(principal)
            .ok_or(LoanbridgeError::ArithmeticOverflow)?;
        state.outstanding_principal.set(outstanding);
    }
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

    #[test]
    fn accrual_moves_time_only_forward() {
        let mut loan = PoolLoan {
            header: Header::new(PoolLoan::DISCRIMINATOR, 255),
            status: status::ACTIVE,
            reject_reason: 0,
            src_eid: U32::new(1),
            rate_bps: U32::new(1_000),
            start_time: U64::new(0),
            due_time: U64::new(0),
            last_accrual: U64::new(1_000),
            principal: U64::new(31_536_000_000),
            interest: U128::new(0),
            repaid: U128::new(0),
            collateral_amount: U128::new(0),
            collateral_asset: [0; 32],
            loan_id: [0; 32],
            borrower: [0; 32],
            recipient: [0; 32],
        };
        accrue(&mut loan, 900).unwrap();
        assert_eq!((loan.interest.get(), loan.last_accrual.get()), (0, 1_000));
        // 10% a year on 31,536,000,000 for 1 s = 100.
        accrue(&mut loan, 1_001).unwrap();
        assert_eq!((loan.interest.get(), loan.last_accrual.get()), (100, 1_001));
    }
}
