//! `ClosePacket` (anyone): closes an outbound packet account and returns its
//! rent to the account that paid for it (shared/LOANS.md "On Solana", rent).
//!
//! Whether a packet was delivered on the other chain cannot be known here,
//! so the rule is about this chain and time only. An outbound packet
//! account may be closed once both hold:
//!
//! - **the loan it belongs to is final here**: the vault's loan (for the
//!   vault's `OPEN_LOAN`) is `Released`, `Seized` or `Refunded`, or the
//!   pool's loan (for every answer the pool sends) is `Repaid`, `Rejected`,
//!   `Defaulted` or `Liquidated`. A final loan never leaves its state and
//!   sends nothing more; the one packet the other chain may still need (the
//!   pool's last answer) is covered by the age below.
//! - **the packet is [`MIN_PACKET_AGE_SECONDS`] old** (30 days) by the Clock
//!   sysvar: far longer than any relayer may lag behind this chain, so every
//!   relayer has read the packet from this account (the only copy a relayer
//!   trusts: logs can be truncated) and every verifier has attested it long
//!   before. A relayer that does lag longer finds the account gone at or
//!   below the path's close horizon (below) and reports the nonce as a
//!   closed gap, loudly, never as a packet (relayer `SolanaPacketWatcher`).
//!
//! Closing nonce `n` raises the path's `close_horizon` (in the outbound
//! nonce account) to at least `n`. Nonces are sent in order, so every nonce
//! at or below the horizon was sent no later than a packet already
//! [`MIN_PACKET_AGE_SECONDS`] old: relayers read the horizon with the nonce
//! counter and tell a closed packet (missing at or below it: older than any
//! relayer may lag, reported as a closed gap) from a hidden one (missing
//! above it: never closed, an RPC hiding it or a bug), without closing in
//! nonce order (a long loan's packet never holds up the rent of later ones).
//!
//! The rent goes only to the payer recorded in the packet at send time, so
//! closing is safe to leave to anyone: a closer gains nothing and can only
//! hand the payer its own lamports.
//!
//! Closing really closes: every lamport moves to the payer and the account
//! is given back to the system program with no data, so neither a later
//! instruction of the same transaction (topping up its lamports) nor a later
//! send (the nonce never goes back, so no send creates this address again)
//! can revive it with the packet's data. A second `ClosePacket` finds an
//! account the program does not own and fails.
//!
//! Delivered-nonces accounts (`[b"delivered", receiver, srcEid, sender,
//! range]`) are not closed: they are the replay guard, and a closed one would
//! let the same attested packets be delivered again.
//!
//! Accounts:
//! 0. `[]` endpoint, PDA `[b"endpoint"]` (names the vault and the pool)
//! 1. `[writable]` the path's outbound nonce, PDA `[b"nonce", app, dst_eid]`
//!    (its `close_horizon` is raised)
//! 2. `[writable]` outbound packet, PDA `[b"packet", app, dst_eid, nonce]`
//!    (closed)
//! 3. `[]` the packet's loan: PDA `[b"vault_loan", loan_id]` when the vault
//!    sent it, `[b"pool_loan", loan_id]` when the pool did
//! 4. `[writable]` rent recipient: the packet's recorded payer

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::require_writable;
use crate::endpoint::load_endpoint;
use crate::error::LoanbridgeError;
use crate::pda;
use crate::processor::open::now;
use crate::state::endpoint::{packet_status, MIN_PACKET_AGE_SECONDS};
use crate::state::pool::pool_loan_status;
use crate::state::vault::vault_loan_state;
use crate::state::{load, load_mut, Endpoint, OutboundNonce, OutboundPacket, VaultLoan};
use crate::wire::{LoanMessage, Packet};

pub fn process(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [endpoint, nonce, packet, loan, recipient] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_writable(packet)?;
    require_writable(recipient)?;
    let endpoint_state = load_endpoint(endpoint, program_id)?;
    let (closable, path) = {
        let stored = load::<OutboundPacket>(packet, program_id)?;
        let sent = parse(&stored)?;
        check_packet(&sent, &stored, packet, program_id)?;
        if recipient.address().as_array() != &stored.payer {
            return Err(LoanbridgeError::WrongRentRecipient.into());
        }
        let age = now()?.saturating_sub(stored.sent_at.get());
        if age < MIN_PACKET_AGE_SECONDS {
            return Err(LoanbridgeError::PacketTooYoung.into());
        }
        let path = Path {
            app: *sent.sender(),
            dst_eid: sent.dst_eid(),
            nonce: sent.nonce(),
        };
        (
            loan_is_final(&endpoint_state, &sent, loan, program_id)?,
            path,
        )
    };
    if !closable {
        return Err(LoanbridgeError::PacketLoanNotFinal.into());
    }
    drop(endpoint_state);
    raise_horizon(nonce, &path, program_id)?;
    close(packet, recipient)
}

/// The path and nonce a packet was sent on.
struct Path {
    app: [u8; 32],
    dst_eid: u32,
    nonce: u64,
}

/// Raises the path's `close_horizon` to the closed nonce, after checking
/// the account is that path's nonce PDA (writable, owner, layout, stored
/// bump).
fn raise_horizon(account: &mut AccountView, path: &Path, program_id: &Address) -> ProgramResult {
    let eid = path.dst_eid.to_le_bytes();
    let bump = {
        let record = load::<OutboundNonce>(account, program_id)?;
        if record.app != path.app || record.dst_eid.get() != path.dst_eid {
            return Err(LoanbridgeError::InvalidPda.into());
        }
        record.header.bump
    };
    pda::check(account, &[pda::NONCE, &path.app, &eid], bump, program_id)?;
    let mut record = load_mut::<OutboundNonce>(account, program_id)?;
    if record.close_horizon.get() < path.nonce {
        record.close_horizon.set(path.nonce);
    }
    Ok(())
}

/// Checks that `account` is the packet PDA its own header names (path and
/// nonce), at its stored bump, and still holds a sent packet.
fn check_packet(
    packet: &Packet,
    stored: &OutboundPacket,
    account: &AccountView,
    program_id: &Address,
) -> ProgramResult {
    if stored.status != packet_status::SENT {
        return Err(LoanbridgeError::InvalidAccountData.into());
    }
    pda::check(
        account,
        &[
            pda::PACKET,
            packet.sender(),
            &packet.dst_eid().to_le_bytes(),
            &packet.nonce().to_le_bytes(),
        ],
        stored.header.bump,
        program_id,
    )
}

/// The stored packet, parsed (the program wrote it, so this only fails on
/// an account it did not write).
fn parse(stored: &OutboundPacket) -> Result<Packet<'_>, ProgramError> {
    let len = (stored.packet_len.get() as usize).min(stored.packet.len());
    Packet::parse(&stored.packet[..len]).map_err(|_| LoanbridgeError::InvalidAccountData.into())
}

/// Whether the loan the packet is about is final here, read from `loan`
/// (checked by owner, layout, loan id and PDA). The sending app decides
/// which side's loan: the vault's for its `OPEN_LOAN`, the pool's for its
/// answers.
fn loan_is_final(
    endpoint: &Endpoint,
    packet: &Packet,
    loan: &AccountView,
    program_id: &Address,
) -> Result<bool, ProgramError> {
    let message = LoanMessage::decode(packet.message())
        .map_err(|_| ProgramError::from(LoanbridgeError::InvalidAccountData))?;
    let loan_id = message.loan_id();
    let sender = packet.sender();
    if *sender == endpoint.vault {
        let state = load::<VaultLoan>(loan, program_id)?;
        if &state.loan_id != loan_id {
            return Err(LoanbridgeError::VaultLoanMismatch.into());
        }
        pda::check(
            loan,
            &[pda::VAULT_LOAN, loan_id],
            state.header.bump,
            program_id,
        )?;
        return Ok(matches!(
            state.state,
            vault_loan_state::RELEASED | vault_loan_state::SEIZED | vault_loan_state::REFUNDED
        ));
    }
    if *sender == endpoint.pool {
        let state = crate::pool::pool_loan_head(loan, program_id)?;
        if &state.loan_id != loan_id {
            return Err(LoanbridgeError::PoolLoanMismatch.into());
        }
        pda::check(
            loan,
            &[pda::POOL_LOAN, loan_id],
            state.header.bump,
            program_id,
        )?;
        return Ok(matches!(
            state.status,
            pool_loan_status::REPAID
                | pool_loan_status::REJECTED
                | pool_loan_status::DEFAULTED
                | pool_loan_status::LIQUIDATED
        ));
    }
    Err(LoanbridgeError::InvalidAccountData.into())
}

/// Moves every lamport to `recipient`, zeroes the data and hands the account
/// back to the system program with no data (pinocchio's `close`), so nothing
/// later in the transaction can find the packet in it.
fn close(packet: &mut AccountView, recipient: &mut AccountView) -> ProgramResult {
    let lamports = packet.lamports();
    let credited = recipient
        .lamports()
        .checked_add(lamports)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    packet.try_borrow_mut()?.fill(0);
    packet.set_lamports(0);
    recipient.set_lamports(credited);
    packet.close()
}
