//! `CancelExpired` (anyone): proves on the lending chain that a loan request
//! was never taken up, as an IBC timeout proves non-receipt
//! (shared/LOANS.md "Cancel"). After the request's `expiresAt`, an unknown
//! loan id is recorded `Rejected` (reason `Expired`) and the pool answers
//! `LOAN_REJECTED(Expired)`, on which the vault refunds the collateral. A
//! later `OPEN_LOAN` for the id fails as a known loan id, so the pool either
//! disbursed or cancelled a loan, never both.
//!
//! The loan id is computed here from `src_eid`, the pool's peer vault there
//! and the arguments, so wrong arguments only cancel an id no vault will
//! ever send.
//!
//! Accounts:
//! 0. `[writable, signer]` payer (pays the loan record and the packet account)
//! 1. `[]` endpoint, PDA `[b"endpoint"]`
//! 2. `[]` pool, PDA `[b"pool"]`
//! 3. `[writable]` pool loan, PDA `[b"pool_loan", loan_id]` (created)
//! 4. `[]` pool's peer on `src_eid`, PDA `[b"peer", pool, src_eid]`
//! 5. `[writable]` outbound nonce, PDA `[b"nonce", pool, src_eid]`
//! 6. `[writable]` outbound packet, PDA `[b"packet", pool, src_eid, nonce]` (created)
//! 7. `[]` system program

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, require_payer, require_system_program, require_writable, NewAccount,
};
use crate::endpoint::load_endpoint;
use crate::endpoint::send::{peer_of, prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::instruction::CancelExpiredArgs;
use crate::pda;
use crate::pool::{load_pool, pool_loan_head};
use crate::processor::open::now;
use crate::state::pool::pool_loan_status;
use crate::state::{init, Header, Layout, PoolLoan, U128, U16, U32, U64};
use crate::vault::{loan_id, LoanKey};
use crate::wire::{LoanRejected, RejectReason};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    args: &CancelExpiredArgs,
) -> ProgramResult {
    let [payer, endpoint, pool_account, loan, peer, nonce, packet, system_program] = accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    require_writable(loan)?;
    // Nonce and packet accounts (PDAs, writable) are checked by `prepare`,
    // still before any effect.
    let endpoint_state = load_endpoint(endpoint, program_id)?;
    load_pool(pool_account, program_id)?;
    let pool_key = pool_account.address().to_bytes();
    let route = Route {
        app: &pool_key,
        remote_eid: args.src_eid,
        program_id,
    };
    let remote_vault = peer_of(peer, &route, LoanbridgeError::NoPeer)?;
    let id = loan_id(&LoanKey {
        eid: args.src_eid,
        vault: &remote_vault,
        borrower: &args.borrower,
        vault_nonce: args.vault_nonce,
        expires_at: args.expires_at,
    });
    // The same clock that answers a late OPEN_LOAN `Expired`.
    if now()? <= args.expires_at {
        return Err(LoanbridgeError::PoolCancelTooEarly.into());
    }
    if loan.owned_by(program_id) {
        return Err(match pool_loan_head(loan, program_id) {
            Ok(known) if known.loan_id == id => LoanbridgeError::PoolLoanExists,
            _ => LoanbridgeError::InvalidPda,
        }
        .into());
    }
    let loan_bump = pda::check_canonical(loan, &[pda::POOL_LOAN, &id], program_id)?;
    let outbound = Outbound {
        payer,
        peer,
        nonce,
        packets: core::slice::from_mut(packet),
        system_program,
    };
    let prepared = prepare(&endpoint_state, &route, &outbound)?;
    drop(endpoint_state);

    // Effects: record the cancellation, answer.
    let bump = [loan_bump];
    let seeds = [
        Seed::from(pda::POOL_LOAN),
        Seed::from(&id),
        Seed::from(&bump),
    ];
    create_pda(&NewAccount {
        payer: outbound.payer,
        account: loan,
        space: PoolLoan::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    init(
        loan,
        &PoolLoan {
            header: Header::new(PoolLoan::DISCRIMINATOR, loan_bump),
            status: pool_loan_status::REJECTED,
            reject_reason: RejectReason::Expired.code(),
            src_eid: U32::new(args.src_eid),
            rate_bps: U32::new(0),
            start_time: U64::new(0),
            due_time: U64::new(0),
            last_accrual: U64::new(0),
            principal: U64::new(0),
            interest: U128::new(0),
            repaid: U128::new(0),
            collateral_amount: U128::new(0),
            collateral_asset: [0; 32],
            loan_id: id,
            borrower: args.borrower,
            recipient: [0; 32],
            // No schedule: a cancelled loan has no installment records.
            installments: U16::new(0),
            paid_installments: U16::new(0),
            off_book: 0,
            period_seconds: U64::new(0),
            installment_amount: U128::new(0),
        },
    )?;
    let answer = LoanRejected {
        loan_id: id,
        reason: RejectReason::Expired,
    };
    prepared.send(&answer.encode(), outbound)?;
    Ok(())
}
