//! `Repay` (anyone, for a loan): pays accrued interest first, then
//! principal; a payment above the debt is capped at the debt. When the
//! principal reaches zero the loan is `Repaid` and the pool answers `REPAID`
//! with everything paid over the loan's life (shared/LOANS.md "Repay").
//!
//! Installments (shared/LOANS.md "Repayment") are completed in order out of
//! the loan's cumulative `repaid`: each one completed here gets its record
//! (paid now, its amount, the principal left). A still-performing loan's
//! sums move to the bucket of its new first unpaid installment; a loan
//! whose first unpaid installment is past due was flushed out of pool
//! assets and is marked `off_book` for good.
//!
//! Accounts:
//! 0. `[writable, signer]` payer: pays the stablecoin (and the packet account)
//! 1. `[writable]` payer's stablecoin token account
//! 2. `[writable]` pool, PDA `[b"pool"]`
//! 3. `[writable]` pool loan, PDA `[b"pool_loan", loan_id]`
//! 4. `[writable]` liquidity, the pool's token account
//! 5. `[]` token program
//! 6. `[]` endpoint, PDA `[b"endpoint"]`
//! 7. `[]` pool's peer on the loan's chain, PDA `[b"peer", pool, src_eid]`
//! 8. `[writable]` outbound nonce, PDA `[b"nonce", pool, src_eid]`
//! 9. `[writable]` outbound packet, PDA `[b"packet", pool, src_eid, nonce]`
//!    (created only by the repayment that completes the loan)
//! 10. `[]` system program
//!
//! Accounts 6–10 are checked only for the completing repayment, which is
//! the one that sends.

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    require_payer, require_token_account, require_token_program, require_writable, token_transfer,
    TokenTransfer,
};
use crate::endpoint::load_endpoint;
use crate::endpoint::send::{prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::pool::schedule::installment_paid_amount;
use crate::pool::{
    accrue, apply_repayment, debt, liquidity_held, load_active_loan, load_pool, load_pool_mut,
    progress_of, LoanChange,
};
use crate::processor::open::now;
use crate::state::pool::pool_loan_status;
use crate::state::{view_pool_loan_mut, InstallmentRecord, PoolLoan, I64, U64};
use crate::wire::Repaid;

pub fn process(program_id: &Address, accounts: &mut [AccountView], amount: u64) -> ProgramResult {
    let [payer, payer_tokens, pool_account, loan_account, liquidity, token_program, endpoint, peer, nonce, packet, system_program] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_token_program(token_program)?;
    require_writable(payer_tokens)?;
    require_writable(pool_account)?;
    require_writable(loan_account)?;
    require_writable(liquidity)?;
    if amount == 0 {
        return Err(LoanbridgeError::PoolZeroRepayment.into());
    }
    let stablecoin_mint = {
        let pool = load_pool(pool_account, program_id)?;
        liquidity_held(&pool, liquidity)?;
        pool.stablecoin_mint
    };
    let mut loan = load_active_loan(loan_account, program_id)?;
    require_token_account(payer_tokens, &stablecoin_mint, payer.address().as_array())?;

    // Interest and debt saturate at u128::MAX, and `paid` is at most the
    // u64 `amount`: no arithmetic here can fail, whatever the rate and time.
    let now = now()?;
    let accrued = accrue(&mut loan, now);
    let interest = loan.interest.get();
    let paid = (amount as u128).min(debt(&loan));
    let interest_paid = paid.min(interest);
    // paid ≤ principal + interest (or, saturated, paid ≤ interest), so the
    // rest is at most the principal (u64).
    let principal_paid = (paid - interest_paid) as u64;
    let principal = loan.principal.get().saturating_sub(principal_paid);
    let change = LoanChange {
        accrued,
        principal_out: principal_paid,
        interest_out: interest_paid,
    };
    loan.principal.set(principal);
    loan.interest.set(interest - interest_paid);
    loan.repaid.set(loan.repaid.get().saturating_add(paid));
    // Interest is paid first, so zero principal means zero debt.
    let fully_repaid = principal == 0;
    if fully_repaid {
        loan.status = pool_loan_status::REPAID;
    }
    let outbound = Outbound {
        payer,
        peer,
        nonce,
        packets: core::slice::from_mut(packet),
        system_program,
    };
    let pool_key = pool_account.address().to_bytes();
    let prepared = if fully_repaid {
        let route = Route {
            app: &pool_key,
            remote_eid: loan.src_eid.get(),
            program_id,
        };
        Some(prepare(
            &*load_endpoint(endpoint, program_id)?,
            &route,
            &outbound,
        )?)
    } else {
        None
    };

    // Effects. `paid` ≤ `amount`, a u64.
    let paid_before = apply_repayment(
        &mut *load_pool_mut(pool_account, program_id)?,
        &mut loan,
        &change,
        now,
    );
    record_installments(loan_account, &loan, paid_before, now)?;
    let transfer = TokenTransfer {
        from: payer_tokens,
        to: liquidity,
        authority: outbound.payer,
        amount: paid as u64,
    };
    token_transfer(&transfer, &[])?;
    if let Some(prepared) = prepared {
        let answer = Repaid {
            loan_id: loan.loan_id,
            amount_repaid: loan.repaid.get(),
        };
        prepared.send(&answer.encode(), outbound)?;
    }
    Ok(())
}

/// Writes the loan's fixed part and the records of the installments this
/// repayment completed (`paid_before + 1 ..= paid_installments`): paid at
/// `now`, their amounts out of the cumulative `repaid` (saturating at
/// `u64::MAX`), the principal left.
fn record_installments(
    account: &mut AccountView,
    loan: &PoolLoan,
    paid_before: u16,
    now: u64,
) -> ProgramResult {
    let mut data = account.try_borrow_mut()?;
    let (head, records) = view_pool_loan_mut(&mut data)?;
    *head = *loan;
    let progress = progress_of(loan);
    let installments = progress.installments;
    let paid_at = I64::new(i64::try_from(now).unwrap_or(i64::MAX));
    let first = paid_before as usize;
    let last = (loan.paid_installments.get() as usize).min(records.len());
    for (index, record) in records.iter_mut().enumerate().take(last).skip(first) {
        let k = index as u16 + 1;
        // An installment k < n is complete once repaid ≥ k × payment, so
        // its amount, min(payment, repaid − (k−1) × payment), is the
        // payment; only the last one needs the subtraction.
        let amount = if k < installments {
            progress.payment
        } else {
            installment_paid_amount(&progress, k)
        };
        *record = InstallmentRecord {
            paid_at,
            amount: U64::new(u64::try_from(amount).unwrap_or(u64::MAX)),
            remaining_principal: loan.principal,
        };
    }
    Ok(())
}
