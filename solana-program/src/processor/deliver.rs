//! `Deliver`: accepts a packet attested by a threshold of the current
//! verifiers and hands it to the receiving app (vault or pool).
//!
//! Instruction data: discriminator, then the packet as Borsh `bytes` (`u32`
//! LE length, then the packet of `shared/SPEC.md`).
//!
//! Accounts:
//! 0. `[writable, signer]` payer: pays for the delivered account (and any
//!    account the app creates)
//! 1. `[]` endpoint, PDA `[b"endpoint"]`
//! 2. `[]` peer of the receiving app for the packet's source, PDA
//!    `[b"peer", receiver, srcEid (u32 LE)]`
//! 3. `[writable]` delivered, PDA `[b"delivered", guid]` (created)
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
//! at least `threshold` distinct current verifiers; the guid was never
//! delivered. Then it creates the delivered account and calls the app's
//! handler; a handler error aborts the whole transaction (see
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
use crate::state::{init, load, Delivered, Endpoint, Header, Layout};
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

    let guid = *packet.guid();
    if delivered.owned_by(program_id) {
        // Ours already: this guid's record means a replay; anything else is
        // the wrong account.
        return Err(match load::<Delivered>(delivered, program_id) {
            Ok(record) if record.guid == guid => LoanbridgeError::AlreadyDelivered,
            _ => LoanbridgeError::InvalidPda,
        }
        .into());
    }
    let bump = pda::check_canonical(delivered, &[pda::DELIVERED, &guid], program_id)?;

    let bump_seed = [bump];
    let seeds = [
        Seed::from(pda::DELIVERED),
        Seed::from(&guid),
        Seed::from(&bump_seed),
    ];
    create_pda(&NewAccount {
        payer,
        account: delivered,
        space: Delivered::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    init(
        delivered,
        &Delivered {
            header: Header::new(Delivered::DISCRIMINATOR, bump),
            guid,
            payload_hash,
        },
    )?;

    let delivery = Delivery {
        program_id,
        endpoint: &state,
        src_eid,
        sender: *packet.sender(),
        guid,
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
