//! `OpenNative` and `OpenToken`: the borrower locks collateral and the vault
//! sends `OPEN_LOAN` to the lending chain (shared/LOANS.md "Vault" 1).
//!
//! Accounts (both):
//! 0. `[writable, signer]` borrower: pays the collateral and the new accounts
//! 1. `[]` endpoint, PDA `[b"endpoint"]`
//! 2. `[writable]` vault, PDA `[b"vault"]` (holds native collateral)
//! 3. `[writable]` vault loan, PDA `[b"vault_loan", loan_id]` (created)
//! 4. `[]` vault's peer on the lending chain, PDA `[b"peer", vault, lending_eid]`
//! 5. `[writable]` outbound nonce, PDA `[b"nonce", vault, lending_eid]`
//! 6. `[writable]` outbound packet, PDA `[b"packet", vault, lending_eid, nonce]` (created)
//! 7. `[]` system program
//!
//! `OpenToken` only:
//! 8. `[]` mint
//! 9. `[]` allowed asset, PDA `[b"asset", mint]`
//! 10. `[writable]` borrower's token account of the mint
//! 11. `[writable]` custody token account, PDA `[b"custody", mint]`
//! 12. `[]` token program
//!
//! The loan id is `keccak256(localEid ‖ vault ‖ borrower ‖ vaultNonce ‖
//! expiresAt)` for the vault's next nonce; it is also the instruction's
//! return data. `expires_at` is an argument, in `(now, now + request_ttl]`:
//! the loan account's address derives from the id, so the client must know
//! the deadline when it builds the transaction, and the clock at execution
//! is not known then. A deadline below `now + request_ttl` only shortens
//! the borrower's own request.

use pinocchio::cpi::{set_return_data, Seed};
use pinocchio::error::ProgramError;
use pinocchio::sysvars::{clock::Clock, Sysvar};
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, minimum_balance, require_payer, require_token_account,
    require_token_program, require_writable, token_transfer, NewAccount, TokenTransfer,
};
use crate::endpoint::load_endpoint;
use crate::endpoint::send::{prepare, Outbound, Route};
use crate::error::LoanbridgeError;
use crate::instruction::OpenArgs;
use crate::pda;
use crate::state::vault::vault_loan_state;
use crate::state::{
    init, load, load_mut, AllowedAsset, Header, Layout, Vault, VaultLoan, U128, U32, U64,
};
use crate::vault::{load_vault, loan_id, LoanKey};
use crate::wire::OpenLoan;

/// Which collateral an open locks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Collateral {
    Native,
    Token,
}

/// The current unix time, as the unsigned seconds loans use.
pub fn now() -> Result<u64, ProgramError> {
    u64::try_from(Clock::get()?.unix_timestamp).map_err(|_| ProgramError::InvalidArgument)
}

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    (args, collateral): &(OpenArgs, Collateral),
) -> ProgramResult {
    let collateral = *collateral;
    let [borrower, endpoint, vault, loan, peer, nonce, packet, system_program, token_accounts @ ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(borrower)?;
    require_writable(vault)?;
    require_writable(loan)?;
    if args.collateral_amount == 0 {
        return Err(LoanbridgeError::VaultZeroCollateral.into());
    }
    if args.principal == 0 {
        return Err(LoanbridgeError::VaultZeroPrincipal.into());
    }
    if args.recipient == [0; 32] {
        return Err(LoanbridgeError::VaultZeroRecipient.into());
    }
    if args.installments == 0 {
        return Err(LoanbridgeError::VaultZeroInstallments.into());
    }
    let endpoint_state = load_endpoint(endpoint, program_id)?;
    if vault.address().as_array() != &endpoint_state.vault {
        return Err(LoanbridgeError::InvalidPda.into());
    }
    let vault_state = load_vault(vault, program_id)?;
    let borrower_key = borrower.address().to_bytes();

    // The asset: zero for native SOL, else an allowed mint and its custody.
    let (asset, custody_bump) = match collateral {
        Collateral::Native => {
            if args.collateral_amount < minimum_balance(0)? {
                return Err(LoanbridgeError::VaultCollateralBelowRentMinimum.into());
            }
            ([0u8; 32], 0)
        }
        Collateral::Token => {
            let [mint, allowed, borrower_tokens, custody, token_program, ..] = &*token_accounts
            else {
                return Err(ProgramError::NotEnoughAccountKeys);
            };
            require_token_program(token_program)?;
            require_writable(borrower_tokens)?;
            require_writable(custody)?;
            let mint_key = mint.address().to_bytes();
            if is_uninitialized(allowed) {
                pda::check_canonical(allowed, &[pda::ASSET, &mint_key], program_id)?;
                return Err(LoanbridgeError::VaultAssetNotAllowed.into());
            }
            let entry = *load::<AllowedAsset>(allowed, program_id)?;
            pda::check(
                allowed,
                &[pda::ASSET, &mint_key],
                entry.header.bump,
                program_id,
            )?;
            if entry.allowed == 0 {
                return Err(LoanbridgeError::VaultAssetNotAllowed.into());
            }
            pda::check(
                custody,
                &[pda::CUSTODY, &mint_key],
                entry.custody_bump,
                program_id,
            )?;
            require_token_account(borrower_tokens, &mint_key, &borrower_key)?;
            (mint_key, entry.custody_bump)
        }
    };

    let vault_nonce = vault_state
        .loan_nonce
        .get()
        .checked_add(1)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    let now = now()?;
    let latest_expiry = now
        .checked_add(vault_state.request_ttl.get())
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    let expires_at = args.expires_at;
    if expires_at <= now || expires_at > latest_expiry {
        return Err(LoanbridgeError::VaultInvalidExpiry.into());
    }
    let vault_key = vault.address().to_bytes();
    let id = loan_id(&LoanKey {
        eid: endpoint_state.local_eid.get(),
        vault: &vault_key,
        borrower: &borrower_key,
        vault_nonce,
        expires_at,
    });
    let loan_bump = pda::check_canonical(loan, &[pda::VAULT_LOAN, &id], program_id)?;
    let lending_eid = vault_state.lending_eid.get();
    let outbound = Outbound {
        payer: borrower,
        peer,
        nonce,
        packets: core::slice::from_mut(packet),
        system_program,
    };
    let route = Route {
        app: &vault_key,
        remote_eid: lending_eid,
        program_id,
    };
    let prepared = prepare(&endpoint_state, &route, &outbound)?;
    drop(endpoint_state);

    // Effects: lock the collateral, record the loan, send OPEN_LOAN.
    let amount = args.collateral_amount;
    match collateral {
        Collateral::Native => pinocchio_system::instructions::Transfer {
            from: outbound.payer,
            to: vault,
            lamports: amount,
        }
        .invoke()?,
        Collateral::Token => {
            let [_, _, borrower_tokens, custody, ..] = &*token_accounts else {
                return Err(ProgramError::NotEnoughAccountKeys);
            };
            let transfer = TokenTransfer {
                from: borrower_tokens,
                to: custody,
                authority: outbound.payer,
                amount,
            };
            token_transfer(&transfer, &[])?;
        }
    }
    let bump = [loan_bump];
    let seeds = [
        Seed::from(pda::VAULT_LOAN),
        Seed::from(&id),
        Seed::from(&bump),
    ];
    create_pda(&NewAccount {
        payer: outbound.payer,
        account: loan,
        space: VaultLoan::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    init(
        loan,
        &VaultLoan {
            header: Header::new(VaultLoan::DISCRIMINATOR, loan_bump),
            state: vault_loan_state::REQUESTED,
            custody_bump,
            loan_id: id,
            borrower: borrower_key,
            asset,
            collateral_amount: U64::new(amount),
            principal: U128::new(args.principal),
            max_rate_bps: U32::new(args.max_rate_bps),
            rate_bps: U32::new(0),
            term_seconds: U64::new(args.term_seconds),
            expires_at: U64::new(expires_at),
            start_time: U64::new(0),
            due_time: U64::new(0),
            vault_nonce: U64::new(vault_nonce),
            recipient: args.recipient,
        },
    )?;
    {
        let mut state = load_mut::<Vault>(vault, program_id)?;
        state.loan_nonce.set(vault_nonce);
        if collateral == Collateral::Native {
            let locked = state
                .native_locked
                .get()
                .checked_add(amount)
                .ok_or(LoanbridgeError::ArithmeticOverflow)?;
            state.native_locked.set(locked);
        }
    }
    let message = OpenLoan {
        loan_id: id,
        borrower: borrower_key,
        recipient: args.recipient,
        collateral_asset: asset,
        collateral_amount: amount as u128,
        principal: args.principal,
        max_rate_bps: args.max_rate_bps,
        term_seconds: args.term_seconds,
        expires_at,
        installments: args.installments,
    };
    prepared.send(&message.encode(), outbound)?;
    set_return_data(&id);
    Ok(())
}
