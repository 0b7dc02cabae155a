//! The collateral vault (shared/LOANS.md "Vault"): locks native SOL or an
//! allowed SPL token, asks the lending chain for a loan with `OPEN_LOAN`, and
//! refunds, releases or seizes the collateral as the answers arrive.
//!
//! There is no timeout refund: a refund is proven by the lending chain's
//! `LOAN_REJECTED` (shared/LOANS.md "Vault" 6), which the pool sends for a
//! late `OPEN_LOAN` or a `CancelExpired` after `expiresAt`.
//!
//! Collateral moves at most once per loan: every payout first moves the
//! loan out of the one state that allows it (`Requested` for refunds,
//! `Active` for releases and seizures), and a message for a loan in any
//! other state fails (`VaultUnexpectedLoanState`).
//!
//! Where SOL collateral lives: in the lamports of the vault account itself
//! (program-owned, so payouts move lamports directly, no CPI), tracked by
//! `Vault::native_locked`. A lamport credit cannot be refused on Solana, so
//! rule 8 of LOANS.md (deferred `claim` of refused native payouts) has no
//! counterpart; instead native collateral must be at least the rent-exempt
//! minimum of an empty account, so a payout to an emptied wallet still
//! leaves it rent-exempt. Token collateral lives in a custody token account
//! per mint, PDA `[b"custody", mint]`, owned by the vault.

use pinocchio::cpi::{Seed, Signer};
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    move_lamports, require_token_program, require_writable, token_account, token_transfer,
    TokenTransfer,
};
use crate::error::LoanbridgeError;
use crate::pda;
use crate::processor::deliver::Delivery;
use crate::state::vault::vault_loan_state as state;
use crate::state::{load, load_mut, Layout, Vault, VaultLoan};
use crate::wire::{keccak256, LoanMessage};

/// What a loan id is computed from (shared/LOANS.md "Identifiers").
#[derive(Clone, Copy, Debug)]
pub struct LoanKey<'a> {
    /// The collateral chain's eid.
    pub eid: u32,
    /// The vault on that chain (`bytes32`).
    pub vault: &'a [u8; 32],
    pub borrower: &'a [u8; 32],
    pub vault_nonce: u64,
    /// The request's deadline: in the id, so the lending chain can check a
    /// cancellation's claimed deadline without having seen the request.
    pub expires_at: u64,
}

/// `loanId = keccak256(localEid ‖ vault ‖ borrower ‖ vaultNonce ‖
/// expiresAt)`, integers big-endian (shared/LOANS.md "Identifiers").
pub fn loan_id(key: &LoanKey) -> [u8; 32] {
    keccak256(&[
        &key.eid.to_be_bytes(),
        key.vault,
        key.borrower,
        &key.vault_nonce.to_be_bytes(),
        &key.expires_at.to_be_bytes(),
    ])
}

/// Loads the vault account and checks it is the PDA `[b"vault"]`.
pub fn load_vault(account: &AccountView, program_id: &Address) -> Result<Vault, ProgramError> {
    let vault = *load::<Vault>(account, program_id)?;
    pda::check(account, &[pda::VAULT], vault.header.bump, program_id)?;
    Ok(vault)
}

/// Loads a vault loan and checks its PDA `[b"vault_loan", loan_id]`. An
/// account never created reads as a loan in state `None`.
pub fn load_loan(
    account: &AccountView,
    loan_id: &[u8; 32],
    program_id: &Address,
) -> Result<VaultLoan, ProgramError> {
    if crate::accounts::is_uninitialized(account) {
        pda::check_canonical(account, &[pda::VAULT_LOAN, loan_id], program_id)?;
        return Err(LoanbridgeError::VaultUnexpectedLoanState.into());
    }
    let loan = *load::<VaultLoan>(account, program_id)?;
    if &loan.loan_id != loan_id {
        return Err(LoanbridgeError::VaultLoanMismatch.into());
    }
    pda::check(
        account,
        &[pda::VAULT_LOAN, loan_id],
        loan.header.bump,
        program_id,
    )?;
    Ok(loan)
}

/// Whom a loan's collateral is paid to.
#[derive(Clone, Copy)]
pub struct Payee<'a> {
    pub loan: &'a VaultLoan,
    pub to: &'a [u8; 32],
    pub program_id: &'a Address,
}

/// The checked accounts of a payout, ready to move.
pub enum Payout<'a> {
    Native {
        recipient: &'a mut AccountView,
    },
    Token {
        custody: &'a AccountView,
        recipient: &'a AccountView,
    },
}

/// Checks the payout accounts for paying `loan`'s collateral to `to`.
///
/// Native: `[recipient (writable)]`, the account `to` itself. Token:
/// `[custody (writable), recipient token account (writable), token
/// program]`, the custody PDA of the loan's mint and a token account of that
/// mint owned by `to`.
pub fn check_payout<'a>(
    payee: &Payee,
    accounts: &'a mut [AccountView],
) -> Result<Payout<'a>, ProgramError> {
    let Payee {
        loan,
        to,
        program_id,
    } = *payee;
    if loan.asset == [0; 32] {
        let [recipient, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        if recipient.address().as_array() != to {
            return Err(LoanbridgeError::VaultWrongPayoutAccount.into());
        }
        require_writable(recipient)?;
        return Ok(Payout::Native { recipient });
    }
    let [custody, recipient, token_program, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_token_program(token_program)?;
    require_writable(custody)?;
    require_writable(recipient)?;
    pda::check(
        custody,
        &[pda::CUSTODY, &loan.asset],
        loan.custody_bump,
        program_id,
    )?;
    let token = token_account(recipient)?;
    if token.mint != loan.asset || &token.owner != to {
        return Err(LoanbridgeError::VaultWrongPayoutAccount.into());
    }
    Ok(Payout::Token { custody, recipient })
}

/// Moves `loan`'s collateral out of the vault: the effect after
/// [`check_payout`] and the loan's state change.
pub fn pay(
    vault_account: &mut AccountView,
    loan: &VaultLoan,
    payout: Payout,
    program_id: &Address,
) -> ProgramResult {
    let amount = loan.collateral_amount.get();
    match payout {
        Payout::Native { recipient } => {
            {
                let mut vault = load_mut::<Vault>(vault_account, program_id)?;
                let locked = vault
                    .native_locked
                    .get()
                    .checked_sub(amount)
                    .ok_or(LoanbridgeError::ArithmeticOverflow)?;
                vault.native_locked.set(locked);
            }
            move_lamports(vault_account, recipient, amount, Vault::LEN)
        }
        Payout::Token { custody, recipient } => {
            let bump = [load::<Vault>(vault_account, program_id)?.header.bump];
            let seeds = [Seed::from(pda::VAULT), Seed::from(&bump)];
            let transfer = TokenTransfer {
                from: custody,
                to: recipient,
                authority: vault_account,
                amount,
            };
            token_transfer(&transfer, &[Signer::from(&seeds)])
        }
    }
}

/// The vault's receive hook: dispatches only to the loan handlers (Poly
/// Network, 2021: the receive path reaches no admin function).
///
/// Accounts (after `Deliver`'s six):
/// 0. `[writable]` vault, PDA `[b"vault"]`
/// 1. `[writable]` vault loan, PDA `[b"vault_loan", loan_id]`
/// 2. … payout accounts, for the messages that move collateral (see
///    [`check_payout`]): `LOAN_REJECTED` and `REPAID` pay the borrower,
///    `DEFAULTED` and `LIQUIDATED` the message's beneficiary.
pub fn receive(delivery: &Delivery, accounts: &mut [AccountView]) -> ProgramResult {
    let program_id = delivery.program_id;
    let [vault_account, loan_account, payout_accounts @ ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_writable(vault_account)?;
    require_writable(loan_account)?;
    let vault = load_vault(vault_account, program_id)?;
    if delivery.src_eid != vault.lending_eid.get() {
        return Err(LoanbridgeError::VaultUnexpectedSource.into());
    }
    let message = LoanMessage::decode(delivery.message)?;
    let mut loan = load_loan(loan_account, message.loan_id(), program_id)?;

    // Which state the message needs, the state it moves to, and who is paid.
    let (from, to, recipient) = match &message {
        LoanMessage::OpenLoan(_) => return Err(LoanbridgeError::VaultUnexpectedMessageType.into()),
        LoanMessage::LoanActive(_) => (state::REQUESTED, state::ACTIVE, None),
        LoanMessage::LoanRejected(_) => (state::REQUESTED, state::REFUNDED, Some(loan.borrower)),
        LoanMessage::Repaid(_) => (state::ACTIVE, state::RELEASED, Some(loan.borrower)),
        LoanMessage::Defaulted(seizure) | LoanMessage::Liquidated(seizure) => {
            if seizure.beneficiary == [0; 32]
                || &seizure.beneficiary == vault_account.address().as_array()
            {
                return Err(LoanbridgeError::VaultInvalidBeneficiary.into());
            }
            (state::ACTIVE, state::SEIZED, Some(seizure.beneficiary))
        }
    };
    if loan.state != from {
        return Err(LoanbridgeError::VaultUnexpectedLoanState.into());
    }
    let payout = match &recipient {
        Some(to) => {
            let payee = Payee {
                loan: &loan,
                to,
                program_id,
            };
            Some(check_payout(&payee, payout_accounts)?)
        }
        None => None,
    };

    loan.state = to;
    if let LoanMessage::LoanActive(active) = &message {
        loan.principal.set(active.principal);
        loan.rate_bps.set(active.rate_bps);
        loan.start_time.set(active.start_time);
        loan.due_time.set(active.due_time);
    }
    *load_mut::<VaultLoan>(loan_account, program_id)? = loan;
    if let Some(payout) = payout {
        pay(vault_account, &loan, payout, program_id)?;
    }
    Ok(())
}
