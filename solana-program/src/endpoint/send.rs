//! `send`: how the vault and the pool emit a packet to their peer. Not an
//! instruction: the apps' processors call it.
//!
//! Split in two so a processor can validate everything before any effect:
//! [`prepare`] checks the accounts and reserves the next nonce;
//! [`PreparedSend::send`] then writes the nonce, creates the outbound packet
//! account holding the packet's bytes, and logs them as a hint.
//!
//! Sending works while the endpoint is paused: a pause stops deliveries
//! only, so a repayment, a cancellation or a write-off made during a pause
//! still stores its answer (shared/LOANS.md "Endpoint pause"), and no pause
//! can run out a borrower's clock.
//!
//! Accounts a sending instruction passes (in this order, see [`Outbound`]):
//! the peer `[b"peer", app, dst_eid]`, the outbound nonce `[b"nonce", app,
//! dst_eid]` (writable), and the new packet account `[b"packet", app,
//! dst_eid, nonce]` (writable), plus a payer and the system program.
//!
//! The packet account is named by the nonce the send will take, which the
//! sender reads before its transaction runs; any send on the path that lands
//! first takes that nonce. A sender who may lose that race (a relayer
//! delivering an `OPEN_LOAN` while other relayers deliver on the same path)
//! passes several candidates, the packet accounts of the nonces it expects
//! next: the one at the nonce the send takes is created, the others are not
//! touched.

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_payer, require_system_program, NewAccount,
};
use crate::error::LoanbridgeError;
use crate::pda;
use crate::processor::open::now;
use crate::state::endpoint::{packet_status, MAX_PACKET_LEN};
use crate::state::{
    load, load_mut, Endpoint, Header, Layout, OutboundNonce, OutboundPacket, Peer, U16, U64,
};
use crate::wire::{encode_packet, keccak256, PacketHeader, MESSAGE_OFFSET};

/// The accounts `send` uses.
pub struct Outbound<'a> {
    pub payer: &'a AccountView,
    pub peer: &'a AccountView,
    pub nonce: &'a mut AccountView,
    /// Candidates for the new packet account (at least one); see the module doc.
    pub packets: &'a mut [AccountView],
    pub system_program: &'a AccountView,
}

/// A checked send, with its nonce reserved; nothing written yet.
#[derive(Clone, Copy, Debug)]
pub struct PreparedSend<'a> {
    header: PacketHeader,
    packet_bump: u8,
    /// Which of [`Outbound::packets`] is the new packet's account.
    packet_index: usize,
    program_id: &'a Address,
}

/// A path: a local app and a remote chain, under the program.
#[derive(Clone, Copy)]
pub struct Route<'a> {
    pub app: &'a [u8; 32],
    pub remote_eid: u32,
    pub program_id: &'a Address,
}

/// Loads and checks the peer `[b"peer", app, remote_eid]` of `route`;
/// returns the remote app, or `error` if the account is not that peer or the
/// peer is unset.
pub fn peer_of(
    account: &AccountView,
    route: &Route,
    error: LoanbridgeError,
) -> Result<[u8; 32], ProgramError> {
    let Route {
        app,
        remote_eid,
        program_id,
    } = *route;
    if is_uninitialized(account) {
        return Err(error.into());
    }
    let peer = load::<Peer>(account, program_id)?;
    if &peer.local_app != app || peer.remote_eid.get() != remote_eid {
        return Err(error.into());
    }
    let eid = remote_eid.to_le_bytes();
    pda::check(
        account,
        &[pda::PEER, app, &eid],
        peer.header.bump,
        program_id,
    )?;
    if peer.remote_app == [0; 32] {
        return Err(error.into());
    }
    Ok(peer.remote_app)
}

/// Checks everything a send of `app` to `dst_eid` needs: the app has a peer
/// there, the nonce account is the right PDA and one of the packet
/// candidates is at the canonical PDA of `nonce + 1` (`InvalidPda` if none
/// is). Reserves `nonce + 1`. A paused endpoint does not stop a send (see
/// the module doc).
pub fn prepare<'r>(
    endpoint: &Endpoint,
    route: &Route<'r>,
    outbound: &Outbound,
) -> Result<PreparedSend<'r>, ProgramError> {
    let Route {
        app,
        remote_eid: dst_eid,
        program_id,
    } = *route;
    require_payer(outbound.payer)?;
    require_system_program(outbound.system_program)?;
    let receiver = peer_of(outbound.peer, route, LoanbridgeError::NoPeer)?;

    let eid = dst_eid.to_le_bytes();
    let last = {
        let nonce = load::<OutboundNonce>(outbound.nonce, program_id)?;
        if &nonce.app != app || nonce.dst_eid.get() != dst_eid {
            return Err(LoanbridgeError::InvalidPda.into());
        }
        pda::check(
            outbound.nonce,
            &[pda::NONCE, app, &eid],
            nonce.header.bump,
            program_id,
        )?;
        nonce.nonce.get()
    };
    if !outbound.nonce.is_writable() {
        return Err(LoanbridgeError::AccountNotWritable.into());
    }
    let next = last
        .checked_add(1)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    if outbound.packets.is_empty() {
        return Err(ProgramError::NotEnoughAccountKeys);
    }
    let (packet_address, packet_bump) =
        pda::find(&[pda::PACKET, app, &eid, &next.to_le_bytes()], program_id)?;
    let packet_index = outbound
        .packets
        .iter()
        .position(|candidate| *candidate.address() == packet_address)
        .ok_or(LoanbridgeError::InvalidPda)?;
    Ok(PreparedSend {
        header: PacketHeader {
            nonce: next,
            src_eid: endpoint.local_eid.get(),
            sender: *app,
            dst_eid,
            receiver,
        },
        packet_bump,
        packet_index,
        program_id,
    })
}

impl PreparedSend<'_> {
    /// The nonce the packet will carry.
    pub fn nonce(&self) -> u64 {
        self.header.nonce
    }

    /// Sends `message`: stores the nonce, creates the packet account holding
    /// the packet's bytes, keccak256 and guid, its payer and the time (for
    /// `ClosePacket`), and logs the bytes (a hint
    /// only: logs can be truncated). Returns the guid.
    pub fn send(self, message: &[u8], outbound: Outbound) -> Result<[u8; 32], ProgramError> {
        let program_id = self.program_id;
        let mut buffer = [0u8; MAX_PACKET_LEN];
        let len = encode_packet(&self.header, message, &mut buffer)
            .map_err(|_| LoanbridgeError::InvalidInstructionData)?;
        let packet = &buffer[..len];
        // len ≤ MAX_PACKET_LEN = 297.
        let packet_len = U16::new(len as u16);
        let mut guid = [0u8; 32];
        guid.copy_from_slice(&packet[MESSAGE_OFFSET - 32..MESSAGE_OFFSET]);

        load_mut::<OutboundNonce>(outbound.nonce, program_id)?
            .nonce
            .set(self.header.nonce);

        let app = self.header.sender;
        let eid = self.header.dst_eid.to_le_bytes();
        let nonce = self.header.nonce.to_le_bytes();
        let bump = [self.packet_bump];
        let seeds = [
            Seed::from(pda::PACKET),
            Seed::from(&app),
            Seed::from(&eid),
            Seed::from(&nonce),
            Seed::from(&bump),
        ];
        let packet_account = outbound
            .packets
            .get_mut(self.packet_index)
            .ok_or(ProgramError::NotEnoughAccountKeys)?;
        create_pda(&NewAccount {
            payer: outbound.payer,
            account: packet_account,
            space: OutboundPacket::LEN,
            owner: program_id,
            seeds: &seeds,
        })?;
        write_packet_account(
            packet_account,
            &OutboundPacket {
                header: Header::new(OutboundPacket::DISCRIMINATOR, self.packet_bump),
                status: packet_status::SENT,
                packet_hash: keccak256(&[packet]),
                guid,
                packet_len,
                packet: buffer,
                payer: *outbound.payer.address().as_array(),
                sent_at: U64::new(now()?),
            },
        )?;
        solana_program_log::log_data(&[packet]);
        Ok(guid)
    }
}

fn write_packet_account(account: &mut AccountView, value: &OutboundPacket) -> ProgramResult {
    crate::state::init(account, value)
}
