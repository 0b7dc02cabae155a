//! `RefundExpired`: refunds a requested loan the lending chain never
//! answered, once `now > expiresAt + answerGrace` (shared/LOANS.md "Vault"
//! 6). Anyone may call; the collateral goes to the borrower.
//!
//! Accounts:
//! 0. `[writable]` vault, PDA `[b"vault"]`
//! 1. `[writable]` vault loan, PDA `[b"vault_loan", loan_id]`
//! 2. … payout accounts to the borrower (`crate::vault::check_payout`):
//!    native `[borrower (writable)]`; token `[custody (writable), borrower's
//!    token account (writable), token program]`

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::require_writable;
use crate::error::LoanbridgeError;
use crate::processor::open::now;
use crate::state::vault::vault_loan_state;
use crate::state::{load, load_mut, VaultLoan};
use crate::vault::{check_payout, load_loan, load_vault, pay, Payee};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [vault, loan_account, payout_accounts @ ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_writable(vault)?;
    require_writable(loan_account)?;
    let vault_state = load_vault(vault, program_id)?;
    let id = load::<VaultLoan>(loan_account, program_id)?.loan_id;
    let mut loan = load_loan(loan_account, &id, program_id)?;
    if loan.state != vault_loan_state::REQUESTED {
        return Err(LoanbridgeError::VaultUnexpectedLoanState.into());
    }
    let refundable_after = loan
        .expires_at
        .get()
        .checked_add(vault_state.answer_grace.get())
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    if now()? <= refundable_after {
        return Err(LoanbridgeError::VaultRefundTooEarly.into());
    }
    let payee = Payee {
        loan: &loan,
        to: &loan.borrower,
        program_id,
    };
    let payout = check_payout(&payee, payout_accounts)?;

    loan.state = vault_loan_state::REFUNDED;
    *load_mut::<VaultLoan>(loan_account, program_id)? = loan;
    pay(vault, &loan, payout, program_id)
}
