//! Endpoint accounts: the endpoint's state, peers, outbound nonces and
//! packets, and the nonces delivered per path.

use super::{discriminator, impl_layout, Header, U16, U32, U64};
use crate::wire::{MAX_MESSAGE_LEN, MESSAGE_OFFSET};

/// Most verifier keys a set may hold.
pub const MAX_VERIFIERS: usize = 16;

/// The endpoint, PDA `[b"endpoint"]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub header: Header,
    /// 1 when paused: nothing is delivered (sending goes on).
    pub paused: u8,
    /// This chain's endpoint id.
    pub local_eid: U32,
    /// Verifier-set epoch: 1 for the first set, +1 per rotation. Signatures
    /// cover it, so a rotation voids every signature made before.
    pub epoch: U64,
    /// Sets verifiers, peers, guardian; unpauses; configures vault and pool.
    pub admin: [u8; 32],
    /// Proposed by `TransferAdmin`, becomes admin on `AcceptAdmin`; zero if none.
    pub pending_admin: [u8; 32],
    /// May pause besides the admin; zero for none.
    pub guardian: [u8; 32],
    /// The vault's app address, PDA `[b"vault"]`.
    pub vault: [u8; 32],
    /// The pool's app address, PDA `[b"pool"]`.
    pub pool: [u8; 32],
    pub vault_bump: u8,
    pub pool_bump: u8,
    /// Signatures needed, 1..=verifier_count.
    pub threshold: u8,
    /// Keys in use at the front of `verifiers`.
    pub verifier_count: u8,
    /// Ed25519 public keys, strictly ascending; unused slots are zero.
    pub verifiers: [[u8; 32]; MAX_VERIFIERS],
}

impl_layout!(
    Endpoint,
    discriminator::ENDPOINT,
    3 + 1 + 4 + 8 + 32 * 5 + 4 + 32 * 16
);

impl Endpoint {
    /// The verifier keys in use.
    pub fn verifier_set(&self) -> &[[u8; 32]] {
        let count = (self.verifier_count as usize).min(MAX_VERIFIERS);
        &self.verifiers[..count]
    }

    pub fn is_paused(&self) -> bool {
        self.paused != 0
    }
}

/// A peer: which remote app a local app talks to on one remote chain. PDA
/// `[b"peer", local_app, remote_eid (u32 LE)]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub header: Header,
    pub remote_eid: U32,
    /// The local app (vault or pool address).
    pub local_app: [u8; 32],
    /// The remote app as `bytes32`; zero means unset (every packet rejected).
    pub remote_app: [u8; 32],
}

impl_layout!(Peer, discriminator::PEER, 3 + 4 + 32 + 32);

/// The last nonce an app used towards one destination. PDA
/// `[b"nonce", app, dst_eid (u32 LE)]`; the receiver is the app's peer there.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundNonce {
    pub header: Header,
    pub dst_eid: U32,
    pub app: [u8; 32],
    /// The last nonce sent (0 before the first packet; packets start at 1).
    pub nonce: U64,
    /// The highest nonce `ClosePacket` has closed on this path (0 before
    /// any). Every nonce at or below it was sent no later than a packet
    /// already [`MIN_PACKET_AGE_SECONDS`] old, so a packet account missing
    /// at or below it is closed (or, equally for a relayer, older than any
    /// relayer may lag); one missing above it was never closed, and is
    /// hidden.
    pub close_horizon: U64,
}

impl_layout!(
    OutboundNonce,
    discriminator::OUTBOUND_NONCE,
    3 + 4 + 32 + 8 + 8
);

/// Status of an [`OutboundPacket`].
pub mod packet_status {
    /// Sent: the packet's bytes are stored in the account.
    pub const SENT: u8 = 1;
}

/// The longest packet: the 113-byte head and the longest message
/// (`OPEN_LOAN`, 184 bytes).
pub const MAX_PACKET_LEN: usize = MESSAGE_OFFSET + MAX_MESSAGE_LEN;

/// A packet an app sent. PDA `[b"packet", app, dst_eid (u32 LE), nonce (u64
/// LE)]`. It holds the packet's bytes, so relayers learn every packet from
/// state: a sending transaction's logs can be truncated by whoever builds it
/// (10 kB of earlier log lines), and a packet that exists only in logs could
/// then be hidden from every relayer. The bytes are also logged, as a hint.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundPacket {
    pub header: Header,
    /// See [`packet_status`].
    pub status: u8,
    /// keccak256 of the whole encoded packet (`packet[..packet_len]`).
    pub packet_hash: [u8; 32],
    pub guid: [u8; 32],
    /// Bytes of `packet` in use; the rest are zero.
    pub packet_len: U16,
    /// The encoded packet (shared/SPEC.md), zero-padded.
    pub packet: [u8; MAX_PACKET_LEN],
    /// Who paid the account's rent: `ClosePacket` returns it here, and only
    /// here.
    pub payer: [u8; 32],
    /// Unix time (the Clock sysvar) the packet was sent: `ClosePacket` waits
    /// [`MIN_PACKET_AGE_SECONDS`] from it.
    pub sent_at: U64,
}

impl_layout!(
    OutboundPacket,
    discriminator::OUTBOUND_PACKET,
    3 + 1 + 32 + 32 + 2 + 297 + 32 + 8
);

/// How old a packet must be before `ClosePacket` may close its account:
/// 30 days, far longer than any relayer may lag behind this chain (the
/// `LoanbridgeCursorLag` alert fires after about 15 minutes; shared/LOANS.md
/// "On Solana"). A relayer that does lag longer finds the account gone at
/// or below the path's [`OutboundNonce::close_horizon`] and reports the
/// nonce as a closed gap, never as a packet.
pub const MIN_PACKET_AGE_SECONDS: u64 = 30 * 24 * 60 * 60;

/// Nonces one [`DeliveredNonces`] account records.
pub const NONCES_PER_DELIVERED_ACCOUNT: u64 = 1024;

/// Which nonces of one path were delivered: bit `nonce % 1024` (byte
/// `bit / 8`, bit `bit % 8` from the least significant) of range
/// `nonce / 1024`. PDA `[b"delivered", receiver, srcEid (u32 LE), sender,
/// range (u64 LE)]`. Setting a bit is the replay protection, so a (path,
/// nonce), and with it a guid, is delivered at most once; the account is
/// created by the first delivery of its range and never closed.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveredNonces {
    pub header: Header,
    pub bits: [u8; (NONCES_PER_DELIVERED_ACCOUNT / 8) as usize],
}

impl_layout!(
    DeliveredNonces,
    discriminator::DELIVERED_NONCES,
    3 + (NONCES_PER_DELIVERED_ACCOUNT / 8) as usize
);

impl DeliveredNonces {
    /// The range (the last seed) holding `nonce`.
    pub const fn range_of(nonce: u64) -> u64 {
        nonce / NONCES_PER_DELIVERED_ACCOUNT
    }

    /// The byte of [`Self::bits`] holding `nonce`, and its mask.
    const fn position(nonce: u64) -> (usize, u8) {
        let bit = nonce % NONCES_PER_DELIVERED_ACCOUNT;
        ((bit / 8) as usize, 1 << (bit % 8))
    }

    pub const fn is_delivered(&self, nonce: u64) -> bool {
        let (byte, mask) = Self::position(nonce);
        self.bits[byte] & mask != 0
    }

    pub fn mark_delivered(&mut self, nonce: u64) {
        let (byte, mask) = Self::position(nonce);
        self.bits[byte] |= mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Layout;

    #[test]
    fn each_nonce_of_a_range_has_its_own_bit() {
        let mut record = DeliveredNonces {
            header: Header::new(DeliveredNonces::DISCRIMINATOR, 255),
            bits: [0; 128],
        };
        for nonce in [2048u64, 2049, 2055, 2056, 3071] {
            assert_eq!(DeliveredNonces::range_of(nonce), 2);
            assert!(!record.is_delivered(nonce));
            record.mark_delivered(nonce);
            assert!(record.is_delivered(nonce));
        }
        assert_eq!(record.bits[0], 0b1000_0011);
        assert_eq!(record.bits[1], 0b0000_0001);
        assert_eq!(record.bits[127], 0b1000_0000);
        assert_eq!(record.bits.iter().map(|b| b.count_ones()).sum::<u32>(), 5);
        assert!(!record.is_delivered(2050));
        assert_eq!(DeliveredNonces::range_of(3072), 3);
    }
}
