//! LayerZero V2 packet v1: an 81-byte header, the 32-byte guid, then the
//! message.

use super::keccak::keccak256;
use super::message::LoanMessage;
use super::{field, put, WireError};

/// The only packet version this format knows.
pub const PACKET_VERSION: u8 = 1;
/// Length of the header: version, nonce, srcEid, sender, dstEid, receiver.
pub const HEADER_LEN: usize = 81;
/// Offset of the guid, right after the header.
pub const GUID_OFFSET: usize = HEADER_LEN;
/// Offset of the message, after the header and guid; also the shortest
/// valid packet.
pub const MESSAGE_OFFSET: usize = GUID_OFFSET + 32;

/// The header fields of a packet (everything but the version, which is
/// always [`PACKET_VERSION`] when encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketHeader {
    /// Per path (srcEid, sender, dstEid, receiver), starting at 1.
    pub nonce: u64,
    /// Source endpoint id.
    pub src_eid: u32,
    /// Source app (the collateral vault or lending pool), as `bytes32`.
    pub sender: [u8; 32],
    /// Destination endpoint id.
    pub dst_eid: u32,
    /// Destination app, as `bytes32`.
    pub receiver: [u8; 32],
}

impl PacketHeader {
    /// The 81 header bytes, version first.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = PACKET_VERSION;
        put::<1, 8, _>(&mut out, &self.nonce.to_be_bytes());
        put::<9, 4, _>(&mut out, &self.src_eid.to_be_bytes());
        put::<13, 32, _>(&mut out, &self.sender);
        put::<45, 4, _>(&mut out, &self.dst_eid.to_be_bytes());
        put::<49, 32, _>(&mut out, &self.receiver);
        out
    }

    /// Reads the fields out of header bytes. The version byte is not
    /// checked here: [`Packet::parse`] does that.
    pub fn decode(header: &[u8; HEADER_LEN]) -> Self {
        PacketHeader {
            nonce: u64::from_be_bytes(*field::<1, 8, _>(header)),
            src_eid: u32::from_be_bytes(*field::<9, 4, _>(header)),
            sender: *field::<13, 32, _>(header),
            dst_eid: u32::from_be_bytes(*field::<45, 4, _>(header)),
            receiver: *field::<49, 32, _>(header),
        }
    }
}

/// The packet's guid: `keccak256(nonce ‖ srcEid ‖ sender ‖ dstEid ‖
/// receiver)`, i.e. the 80 header bytes after the version.
pub fn compute_guid(header: &PacketHeader) -> [u8; 32] {
    guid_of_header(&header.encode())
}

/// The guid from header bytes, without decoding them.
fn guid_of_header(header: &[u8; HEADER_LEN]) -> [u8; 32] {
    keccak256(&[&header[1..]])
}

/// The caller's buffer cannot hold the encoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// Bytes the encoding needs.
    pub needed: usize,
}

/// Writes `header ‖ guid ‖ message` into the start of `out` and returns the
/// number of bytes written (`113 + message.len()`).
///
/// The guid is computed from `header`, so an encoded packet always passes
/// [`Packet::parse`]. The message is written as given: like the decoder, the
/// packet layer does not look inside it.
pub fn encode_packet(
    header: &PacketHeader,
    message: &[u8],
    out: &mut [u8],
) -> Result<usize, BufferTooSmall> {
    // A slice never exceeds `isize::MAX` bytes, so this cannot overflow;
    // saturating keeps a panic path out of the program all the same.
    let needed = MESSAGE_OFFSET.saturating_add(message.len());
    let Some((head, rest)) = out.split_first_chunk_mut::<MESSAGE_OFFSET>() else {
        return Err(BufferTooSmall { needed });
    };
    let Some(rest) = rest.get_mut(..message.len()) else {
        return Err(BufferTooSmall { needed });
    };
    let header_bytes = header.encode();
    put::<0, HEADER_LEN, _>(head, &header_bytes);
    put::<GUID_OFFSET, 32, _>(head, &guid_of_header(&header_bytes));
    rest.copy_from_slice(message);
    Ok(needed)
}

/// A zero-copy view of a packet whose length, version and guid have been
/// checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Header and guid, as a fixed array so field reads need no bounds checks.
    head: &'a [u8; MESSAGE_OFFSET],
    /// `guid ‖ message`, split off once so no accessor has a bounds check
    /// (and a panic path) of its own.
    payload: &'a [u8],
    /// Everything after the guid.
    message: &'a [u8],
    /// The whole packet.
    bytes: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Checks a packet in the spec's order: `PacketTooShort`, then
    /// `UnsupportedPacketVersion`, then `GuidMismatch`. The message is not
    /// looked at (see [`Packet::decode_message`]).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        let Some((head, message)) = bytes.split_first_chunk::<MESSAGE_OFFSET>() else {
            return Err(WireError::PacketTooShort);
        };
        let Some((_, payload)) = bytes.split_first_chunk::<GUID_OFFSET>() else {
            return Err(WireError::PacketTooShort);
        };
        if head[0] != PACKET_VERSION {
            return Err(WireError::UnsupportedPacketVersion);
        }
        let packet = Packet {
            head,
            payload,
            message,
            bytes,
        };
        if guid_of_header(packet.header()) != *packet.guid() {
            return Err(WireError::GuidMismatch);
        }
        Ok(packet)
    }

    /// The whole packet.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The version byte (always [`PACKET_VERSION`] once parsed).
    pub fn version(&self) -> u8 {
        self.head[0]
    }

    /// Per-path nonce.
    pub fn nonce(&self) -> u64 {
        u64::from_be_bytes(*field::<1, 8, _>(self.head))
    }

    /// Source endpoint id.
    pub fn src_eid(&self) -> u32 {
        u32::from_be_bytes(*field::<9, 4, _>(self.head))
    }

    /// Source app, as `bytes32`.
    pub fn sender(&self) -> &'a [u8; 32] {
        field::<13, 32, _>(self.head)
    }

    /// Destination endpoint id.
    pub fn dst_eid(&self) -> u32 {
        u32::from_be_bytes(*field::<45, 4, _>(self.head))
    }

    /// Destination app, as `bytes32`.
    pub fn receiver(&self) -> &'a [u8; 32] {
        field::<49, 32, _>(self.head)
    }

    /// Packet bytes 0..81, the part an attestation signs directly.
    pub fn header(&self) -> &'a [u8; HEADER_LEN] {
        field::<0, HEADER_LEN, _>(self.head)
    }

    /// The header's fields, copied out.
    pub fn header_fields(&self) -> PacketHeader {
        PacketHeader::decode(self.header())
    }

    /// The guid (checked against the header by [`Packet::parse`]).
    pub fn guid(&self) -> &'a [u8; 32] {
        field::<GUID_OFFSET, 32, _>(self.head)
    }

    /// The message, not decoded.
    pub fn message(&self) -> &'a [u8] {
        self.message
    }

    /// `guid ‖ message`.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// `keccak256(guid ‖ message)`, which the attestation digest binds.
    pub fn payload_hash(&self) -> [u8; 32] {
        keccak256(&[self.payload()])
    }

    /// Decodes the message as a loan message.
    pub fn decode_message(&self) -> Result<LoanMessage, WireError> {
        LoanMessage::decode(self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> PacketHeader {
        PacketHeader {
            nonce: 0x0102_0304_0506_0708,
            src_eid: 40161,
            sender: [0x11; 32],
            dst_eid: 40168,
            receiver: [0x22; 32],
        }
    }

    fn encoded(message: &[u8]) -> ([u8; 256], usize) {
        let mut out = [0u8; 256];
        let len = encode_packet(&header(), message, &mut out).unwrap();
        (out, len)
    }

    #[test]
    fn header_layout() {
        let bytes = header().encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[1..9], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&bytes[9..13], &40161u32.to_be_bytes());
        assert_eq!(&bytes[13..45], &[0x11; 32]);
        assert_eq!(&bytes[45..49], &40168u32.to_be_bytes());
        assert_eq!(&bytes[49..81], &[0x22; 32]);
        assert_eq!(PacketHeader::decode(&bytes), header());
    }

    #[test]
    fn guid_hashes_the_80_bytes_after_the_version() {
        let bytes = header().encode();
        assert_eq!(compute_guid(&header()), keccak256(&[&bytes[1..]]));
    }

    #[test]
    fn encode_then_parse() {
        let (bytes, len) = encoded(b"message");
        assert_eq!(len, MESSAGE_OFFSET + 7);
        let packet = Packet::parse(&bytes[..len]).unwrap();
        assert_eq!(packet.version(), 1);
        assert_eq!(packet.nonce(), header().nonce);
        assert_eq!(packet.src_eid(), 40161);
        assert_eq!(packet.sender(), &[0x11; 32]);
        assert_eq!(packet.dst_eid(), 40168);
        assert_eq!(packet.receiver(), &[0x22; 32]);
        assert_eq!(packet.header_fields(), header());
        assert_eq!(packet.header(), &header().encode());
        assert_eq!(packet.guid(), &compute_guid(&header()));
        assert_eq!(packet.message(), b"message");
        assert_eq!(packet.payload(), &bytes[81..len]);
        assert_eq!(packet.payload_hash(), keccak256(&[&bytes[81..len]]));
        assert_eq!(packet.as_bytes(), &bytes[..len]);
    }

    #[test]
    fn empty_message_is_a_valid_packet() {
        let (bytes, len) = encoded(b"");
        assert_eq!(len, MESSAGE_OFFSET);
        assert_eq!(Packet::parse(&bytes[..len]).unwrap().message(), b"");
    }

    #[test]
    fn encoder_checks_the_buffer() {
        let mut out = [0u8; MESSAGE_OFFSET + 2];
        assert_eq!(
            encode_packet(&header(), b"abc", &mut out),
            Err(BufferTooSmall {
                needed: MESSAGE_OFFSET + 3
            })
        );
        assert_eq!(encode_packet(&header(), b"ab", &mut out), Ok(out.len()));
    }

    #[test]
    fn short_packet() {
        let (bytes, _) = encoded(b"");
        for len in 0..MESSAGE_OFFSET {
            assert_eq!(Packet::parse(&bytes[..len]), Err(WireError::PacketTooShort));
        }
    }

    #[test]
    fn length_is_checked_before_version() {
        let (mut bytes, _) = encoded(b"");
        bytes[0] = 2;
        assert_eq!(
            Packet::parse(&bytes[..MESSAGE_OFFSET - 1]),
            Err(WireError::PacketTooShort)
        );
    }

    #[test]
    fn wrong_version() {
        let (mut bytes, len) = encoded(b"m");
        for version in [0, 2, 0xff] {
            bytes[0] = version;
            assert_eq!(
                Packet::parse(&bytes[..len]),
                Err(WireError::UnsupportedPacketVersion)
            );
        }
    }

    #[test]
    fn version_is_checked_before_guid() {
        let (mut bytes, len) = encoded(b"m");
        bytes[0] = 2;
        bytes[GUID_OFFSET] ^= 1;
        assert_eq!(
            Packet::parse(&bytes[..len]),
            Err(WireError::UnsupportedPacketVersion)
        );
    }

    #[test]
    fn any_header_or_guid_change_is_a_guid_mismatch() {
        let (bytes, len) = encoded(b"m");
        for index in 1..MESSAGE_OFFSET {
            let mut tampered = bytes;
            tampered[index] ^= 0x80;
            assert_eq!(
                Packet::parse(&tampered[..len]),
                Err(WireError::GuidMismatch),
                "byte {index}"
            );
        }
    }

    #[test]
    fn message_is_not_part_of_the_guid() {
        let (mut bytes, len) = encoded(b"m");
        bytes[MESSAGE_OFFSET] = b'n';
        assert!(Packet::parse(&bytes[..len]).is_ok());
    }
}
