//! `DeclareDefault` and `Liquidate` (anyone): write an active loan off and
//! send its collateral to the remote chain's beneficiary (shared/LOANS.md
//! "Default", "Liquidate").
//!
//! - Default: `now > due_{paid+1} + gracePeriodSeconds` (the first unpaid
//!   installment's due time; a bullet loan's `dueTime`); interest accrues first;
//!   answers `DEFAULTED` with principal + interest.
//! - Liquidate: at a fresh price, debt × 10,000 > value × liquidationLtv;
//!   answers `LIQUIDATED`.
//!
//! Accounts (`DeclareDefault`):
//! 0. `[writable, signer]` payer (pays the packet account)
//! 1. `[writable]` pool, PDA `[b"pool"]`
//! 2. `[writable]` pool loan, PDA `[b"pool_loan", loan_id]`
//! 3. `[]` beneficiary, PDA `[b"beneficiary", src_eid]`
//! 4. `[]` endpoint, PDA `[b"endpoint"]`
//! 5. `[]` pool's peer on the loan's chain, PDA `[b"peer", pool, src_eid]`
//! 6. `[writable]` outbound nonce, PDA `[b"nonce", pool, src_eid]`
//! 7. `[writable]` outbound packet, PDA `[b"packet", pool, src_eid, nonce]` (created)
//! 8. `[]` system program
//!
//! `Liquidate` takes the same accounts followed by:
//! 9. `[]` collateral config, PDA `[b"collateral", src_eid, asset]`
//! 10. `[]` price, PDA `[b"price", config.price_id]`

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{is_uninitialized, require_writable};
use crate::endpoint::load_endpoint;
use crate::endpoint::send::{prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::math::{collateral_value, exceeds_ltv};
use crate::pda;
use crate::pool::{
    accrue, apply, booked_due, collateral_config, debt, is_fresh, load_active_loan, load_pool,
    load_pool_mut, price_of, store_pool_loan, CollateralKey, LoanChange,
};
use crate::processor::open::now;
use crate::state::pool::pool_loan_status;
use crate::state::{load, Beneficiary};
use crate::wire::CollateralSeizure;

/// Which write-off.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Default,
    Liquidation,
}

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    settlement: &Settlement,
) -> ProgramResult {
    let [payer, pool_account, loan_account, beneficiary, endpoint, peer, nonce, packet, system_program, rest @ ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_writable(pool_account)?;
    require_writable(loan_account)?;
    let (grace_period, max_price_age, width) = {
        let pool = load_pool(pool_account, program_id)?;
        (
            pool.grace_period_seconds.get(),
            pool.max_price_age.get(),
            pool.due_bucket_seconds.get(),
        )
    };
    let mut loan = load_active_loan(loan_account, program_id)?;
    let src_eid = loan.src_eid.get();
    let now = now()?;
    // Saturating throughout: a write-off never fails on arithmetic.
    let accrued = accrue(&mut loan, now);

    match settlement {
        Settlement::Default => {
            // A missed installment, not only the final due time, makes
            // the loan defaultable: due_{paid + 1} + grace.
            let defaultable_after = booked_due(&loan, width).saturating_add(grace_period);
            if now <= defaultable_after {
                return Err(LoanbridgeError::PoolLoanNotOverdue.into());
            }
        }
        Settlement::Liquidation => {
            let [config_account, price_account, ..] = rest else {
                return Err(ProgramError::NotEnoughAccountKeys);
            };
            let key = CollateralKey {
                remote_eid: src_eid,
                asset: &loan.collateral_asset,
                program_id,
            };
            let config = collateral_config(config_account, &key)?
                .ok_or(LoanbridgeError::PoolCollateralNotConfigured)?;
            let (price, updated_at) = price_of(price_account, &config.price_id, program_id)?;
            if !is_fresh(price, updated_at, now, max_price_age) {
                return Err(LoanbridgeError::PoolPriceUnavailable.into());
            }
            let value = collateral_value(loan.collateral_amount.get(), price);
            if !exceeds_ltv(debt(&loan), value, config.liquidation_ltv_bps.get() as u32) {
                return Err(LoanbridgeError::PoolLoanHealthy.into());
            }
        }
    }
    let beneficiary_key = beneficiary_of(beneficiary, src_eid, program_id)?;
    let outstanding = debt(&loan);
    let change = LoanChange {
        accrued,
        principal_out: loan.principal.get(),
        interest_out: loan.interest.get(),
    };
    loan.status = match settlement {
        Settlement::Default => pool_loan_status::DEFAULTED,
        Settlement::Liquidation => pool_loan_status::LIQUIDATED,
    };
    let pool_key = pool_account.address().to_bytes();
    let route = Route {
        app: &pool_key,
        remote_eid: src_eid,
        program_id,
    };
    let outbound = Outbound {
        payer,
        peer,
        nonce,
        packets: core::slice::from_mut(packet),
        system_program,
    };
    let prepared = prepare(&*load_endpoint(endpoint, program_id)?, &route, &outbound)?;

    // Effects: write the loan off, answer.
    store_pool_loan(loan_account, program_id, &loan)?;
    // A performing loan (liquidated before its due time) leaves its bucket
    // whole; an overdue one left pool assets at its due time.
    apply(
        &mut *load_pool_mut(pool_account, program_id)?,
        &loan,
        &change,
        now,
    );
    let seizure = CollateralSeizure {
        loan_id: loan.loan_id,
        outstanding,
        beneficiary: beneficiary_key,
    };
    let message = match settlement {
        Settlement::Default => seizure.encode_defaulted(),
        Settlement::Liquidation => seizure.encode_liquidated(),
    };
    prepared.send(&message, outbound)?;
    Ok(())
}

/// The beneficiary set for `remote_eid`, or `PoolBeneficiaryNotSet`.
fn beneficiary_of(
    account: &AccountView,
    remote_eid: u32,
    program_id: &Address,
) -> Result<[u8; 32], ProgramError> {
    let eid = remote_eid.to_le_bytes();
    if is_uninitialized(account) {
        pda::check_canonical(account, &[pda::BENEFICIARY, &eid], program_id)?;
        return Err(LoanbridgeError::PoolBeneficiaryNotSet.into());
    }
    let stored = *load::<Beneficiary>(account, program_id)?;
    pda::check(
        account,
        &[pda::BENEFICIARY, &eid],
        stored.header.bump,
        program_id,
    )?;
    if stored.remote_eid.get() != remote_eid || stored.beneficiary == [0; 32] {
        return Err(LoanbridgeError::PoolBeneficiaryNotSet.into());
    }
    Ok(stored.beneficiary)
}
