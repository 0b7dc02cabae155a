//! `Deliver`: accepts a packet attested by a threshold of the current
//! verifiers and hands it to the receiving app (vault or pool).
//!
//! Instruction data: discriminator, then the packet as Borsh `bytes` (`u32`
//! LE length, then the packet of `shared/SPEC.md`).
//!
//! Accounts:
//! 0. `[writable, signer]` payer: pays for the delivered-nonces account
//!    when this packet is the first of its range (and for any account the
//!    app creates)
//! 1. `[]` endpoint, PDA `[b"endpoint"]`
//! 2. `[]` peer of the receiving app for the packet's source, PDA
//!    `[b"peer", receiver, srcEid (u32 LE)]`
//! 3. `[writable]` delivered nonces of the packet's path and range, PDA
//!    `[b"delivered", receiver, srcEid (u32 LE), sender, nonce / 1024
//!    (u64 LE)]` (created by the range's first delivery)
//! 4. `[]` instructions sysvar, `Sysvar1nstructions1111111111111111111111111`
//! 5. `[]` system program
//! 6. … the receiving app's accounts (see `crate::vault::receive` and
//!    `crate::pool::receive`)
//!
//! The instruction right before this one must be the Ed25519 precompile
//! verifying the signatures (see [`crate::endpoint::ed25519`]).
//!
//! Checks, all before any effect: not paused (a pause stops deliveries,
//! never sends); the packet decodes; `dstEid`
//! is this endpoint's; the receiver is the vault or the pool; the peer for
//! (receiver, `srcEid`) is set and is the sender; the sysvar is the real
//! instructions sysvar; the previous instruction is the precompile and its
//! signatures attest this packet's digest (this program id as the
//! destination endpoint, epoch, header, payloadHash) by
//! at least `threshold` distinct current verifiers; the packet's nonce was
//! never delivered on its path. Then it records the nonce delivered
//! (creating the range's account first if this is its first delivery) and
//! calls the app's handler; a handler error aborts the whole transaction (see
//! [`crate::endpoint`] for how this differs from the EVM endpoint).

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{create_pda, require_payer, require_system_program, NewAccount};
use crate::endpoint::ed25519::{verify_attestations, VerifierSet, ED25519_PROGRAM_ID};
use crate::endpoint::load_endpoint;
use crate::endpoint::send::{peer_of, Route};
use crate::endpoint::sysvar::{current_index, instruction_at, INSTRUCTIONS_SYSVAR_ID};
use crate::error::LoanbridgeError;
use crate::pda;
use crate::state::{init_in_place, load, load_mut, DeliveredNonces, Endpoint, Header, Layout};
use crate::wire::{attestation_digest, Packet};

/// A verified packet, as the receiving app's handler sees it.
pub struct Delivery<'a> {
    pub program_id: &'a Address,
    pub endpoint: &'a Endpoint,
    pub src_eid: u32,
    pub sender: [u8; 32],
    pub guid: [u8; 32],
    pub message: &'a [u8],
    /// Pays for accounts the handler creates (and its answer's packet).
    pub payer: &'a AccountView,
    /// The receiving app's peer on `src_eid`: also the peer its answer uses.
    pub peer: &'a AccountView,
    pub system_program: &'a AccountView,
}

enum Receiver {
    Vault,
    Pool,
}

/// `packet` is passed by reference so the call fits SBF's five argument
/// registers (a slice takes two).
pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    packet: &&[u8],
) -> ProgramResult {
    let packet: &[u8] = packet;
    let [payer, endpoint, peer, delivered, instructions, system_program, app_accounts @ ..] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    let state = load_endpoint(endpoint, program_id)?;
    if state.is_paused() {
        return Err(LoanbridgeError::EndpointPaused.into());
    }
    let packet = Packet::parse(packet)?;
    if packet.dst_eid() != state.local_eid.get() {
        return Err(LoanbridgeError::WrongDestination.into());
    }
    let receiver_app = packet.receiver();
    let receiver = if receiver_app == &state.vault {
        Receiver::Vault
    } else if receiver_app == &state.pool {
        Receiver::Pool
    } else {
        return Err(LoanbridgeError::UnknownReceiver.into());
    };
    let src_eid = packet.src_eid();
    let route = Route {
        app: receiver_app,
        remote_eid: src_eid,
        program_id,
    };
    let expected_sender = peer_of(peer, &route, LoanbridgeError::UnknownPeer)?;
    if &expected_sender != packet.sender() {
        return Err(LoanbridgeError::UnknownPeer.into());
    }

    // Wormhole, Feb 2022: the sysvar account must be the real one.
    if instructions.address() != &INSTRUCTIONS_SYSVAR_ID {
        return Err(LoanbridgeError::InvalidInstructionsSysvar.into());
    }
    let payload_hash = packet.payload_hash();
    {
        let sysvar = instructions.try_borrow()?;
        let current = current_index(&sysvar).ok_or(LoanbridgeError::InvalidInstructionsSysvar)?;
        let previous = current
            .checked_sub(1)
            .and_then(|index| instruction_at(&sysvar, index))
            .ok_or(LoanbridgeError::MissingEd25519Instruction)?;
        if previous.program_id != ED25519_PROGRAM_ID.as_array() {
            return Err(LoanbridgeError::MissingEd25519Instruction.into());
        }
        // The digest binds this deployment: the program id is the endpoint.
        let digest = attestation_digest(
            program_id.as_array(),
            state.epoch.get(),
            packet.header(),
            &payload_hash,
        );
        let set = VerifierSet {
            verifiers: state.verifier_set(),
            threshold: state.threshold,
        };
        verify_attestations(previous.data, &digest, &set)?;
    }

    record_delivered(
        DeliveredNonce {
            account: delivered,
            receiver: receiver_app,
            src_eid,
            sender: packet.sender(),
            nonce: packet.nonce(),
        },
        payer,
        program_id,
    )?;

    let delivery = Delivery {
        program_id,
        endpoint: &state,
        src_eid,
        sender: *packet.sender(),
        guid: *packet.guid(),
        message: packet.message(),
        payer,
        peer,
        system_program,
    };
    match receiver {
        Receiver::Vault => crate::vault::receive(&delivery, app_accounts),
        Receiver::Pool => crate::pool::receive(&delivery, app_accounts),
    }
}

/// A packet's place in its path's delivered nonces.
struct DeliveredNonce<'a> {
    account: &'a mut AccountView,
    receiver: &'a [u8; 32],
    src_eid: u32,
    sender: &'a [u8; 32],
    nonce: u64,
}

/// Marks the nonce delivered; fails `AlreadyDelivered` if it was.
///
/// The range's account, once it exists, is found by its stored bump (one
/// derivation). Only the range's first delivery creates it, at the canonical
/// bump the program computes itself ([`pda::find`]): a bump from the caller
/// could make a second account for the same range, through which every nonce
/// of the range could be delivered again.
fn record_delivered(
    target: DeliveredNonce,
    payer: &AccountView,
    program_id: &Address,
) -> ProgramResult {
    let src_eid = target.src_eid.to_le_bytes();
    let range = DeliveredNonces::range_of(target.nonce).to_le_bytes();
    let seeds: [&[u8]; 5] = [
        pda::DELIVERED,
        target.receiver,
        &src_eid,
        target.sender,
        &range,
    ];
    let account = target.account;
    if account.owned_by(program_id) {
        let bump = load::<DeliveredNonces>(account, program_id)?.header.bump;
        pda::check(account, &seeds, bump, program_id)?;
        let mut record = load_mut::<DeliveredNonces>(account, program_id)?;
        if record.is_delivered(target.nonce) {
            return Err(LoanbridgeError::AlreadyDelivered.into());
        }
        record.mark_delivered(target.nonce);
        return Ok(());
    }
    let bump = pda::check_canonical(account, &seeds, program_id)?;
    let bump_seed = [bump];
    let signer_seeds = [
        Seed::from(pda::DELIVERED),
        Seed::from(target.receiver),
        Seed::from(&src_eid),
        Seed::from(target.sender),
        Seed::from(&range),
        Seed::from(&bump_seed),
    ];
    create_pda(&NewAccount {
        payer,
        account,
        space: DeliveredNonces::LEN,
        owner: program_id,
        seeds: &signer_seeds,
    })?;
    init_in_place::<DeliveredNonces>(account, Header::new(DeliveredNonces::DISCRIMINATOR, bump))?
        .mark_delivered(target.nonce);
    Ok(())
}
