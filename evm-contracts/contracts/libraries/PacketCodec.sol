// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title PacketCodec
/// @notice LayerZero V2 packet v1, as in shared/SPEC.md "Packet": version(1) ‖ nonce(8) ‖
///         srcEid(4) ‖ sender(32) ‖ dstEid(4) ‖ receiver(32) ‖ guid(32) ‖ message(n).
/// @dev Reads work on `bytes calldata` so the message comes back as a slice, never copied.
library PacketCodec {
    /// @notice The packet is shorter than header plus guid (113 bytes).
    /// @param length The packet's length in bytes.
    error PacketTooShort(uint256 length);
    /// @notice The packet's version byte is not `PACKET_VERSION`.
    /// @param version The version byte found.
    error UnsupportedPacketVersion(uint8 version);
    /// @notice The packet's guid is not the one its header yields.
    /// @param expected The guid computed from the header.
    /// @param actual The guid carried in the packet.
    error GuidMismatch(bytes32 expected, bytes32 actual);

    /// @notice The fields a sender chooses; the guid is derived from them.
    struct Header {
        uint64 nonce;
        uint32 srcEid;
        bytes32 sender;
        uint32 dstEid;
        bytes32 receiver;
    }

    /// @notice The only packet version this codec reads and writes.
    uint8 internal constant PACKET_VERSION = 1;
    /// @notice Bytes 0..81: version, nonce, srcEid, sender, dstEid, receiver.
    uint256 internal constant HEADER_LENGTH = 81;
    /// @notice Where the guid starts (right after the header).
    uint256 internal constant GUID_OFFSET = 81;
    /// @notice Where the message starts; also the shortest valid packet.
    uint256 internal constant MESSAGE_OFFSET = 113;

    uint256 private constant _NONCE_OFFSET = 1;
    uint256 private constant _SRC_EID_OFFSET = 9;
    uint256 private constant _SENDER_OFFSET = 13;
    uint256 private constant _DST_EID_OFFSET = 45;
    uint256 private constant _RECEIVER_OFFSET = 49;
    /// @dev The guid preimage: the 80 header bytes after the version byte.
    uint256 private constant _GUID_PREIMAGE_LENGTH = 80;

    /// @notice Decodes a packet, checking length, version, then the guid against the header.
    /// @dev Reverts `PacketTooShort`, `UnsupportedPacketVersion` or `GuidMismatch`, in that order.
    ///      Does not look inside the message.
    /// @param packet The encoded packet.
    /// @return h The header fields.
    /// @return guid The packet's guid, equal to `computeGuid` of the header.
    /// @return message The message: bytes 113.. of `packet`, as a calldata slice.
    function decode(bytes calldata packet)
        internal
        pure
        returns (Header memory h, bytes32 guid, bytes calldata message)
    {
        _checkLength(packet);
        uint8 version = uint8(_word(packet, 0) >> 248);
        if (version != PACKET_VERSION) revert UnsupportedPacketVersion(version);

        h.nonce = uint64(_word(packet, _NONCE_OFFSET) >> 192);
        h.srcEid = uint32(_word(packet, _SRC_EID_OFFSET) >> 224);
        h.sender = bytes32(_word(packet, _SENDER_OFFSET));
        h.dstEid = uint32(_word(packet, _DST_EID_OFFSET) >> 224);
        h.receiver = bytes32(_word(packet, _RECEIVER_OFFSET));

        guid = bytes32(_word(packet, GUID_OFFSET));
        // The packet's bytes 1..81 are exactly the guid preimage, so hash them in place
        // rather than re-packing the fields just read.
        bytes32 expected = _hashCalldata(packet, _NONCE_OFFSET, _GUID_PREIMAGE_LENGTH);
        if (guid != expected) revert GuidMismatch(expected, guid);

        message = packet[MESSAGE_OFFSET:];
    }

    /// @notice The packet's header bytes (0..81), which the attestation digest covers.
    /// @dev Checks the length only (`PacketTooShort`); `decode` checks version and guid.
    /// @param packet The encoded packet.
    /// @return The 81 header bytes, as a calldata slice.
    function header(bytes calldata packet) internal pure returns (bytes calldata) {
        _checkLength(packet);
        return packet[:HEADER_LENGTH];
    }

    /// @notice `keccak256(guid ‖ message)`, i.e. the hash of the packet's bytes 81..end.
    /// @dev Checks the length only (`PacketTooShort`); `decode` checks version and guid.
    /// @param packet The encoded packet.
    /// @return The payload hash.
    function payloadHash(bytes calldata packet) internal pure returns (bytes32) {
        _checkLength(packet);
        // Cannot underflow: `_checkLength` guarantees packet.length >= MESSAGE_OFFSET > GUID_OFFSET.
        unchecked {
            return _hashCalldata(packet, GUID_OFFSET, packet.length - GUID_OFFSET);
        }
    }

    /// @notice `keccak256(nonce ‖ srcEid ‖ sender ‖ dstEid ‖ receiver)`, as LayerZero's `GUID.generate`.
    /// @param nonce The packet's nonce on its path.
    /// @param srcEid The source endpoint id.
    /// @param sender The source app, as bytes32.
    /// @param dstEid The destination endpoint id.
    /// @param receiver The destination app, as bytes32.
    /// @return The guid.
    function computeGuid(uint64 nonce, uint32 srcEid, bytes32 sender, uint32 dstEid, bytes32 receiver)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(nonce, srcEid, sender, dstEid, receiver));
    }

    /// @notice Encodes a packet, deriving its guid from the header.
    /// @param h The header fields.
    /// @param message The loan message to carry (not inspected).
    /// @return The encoded packet: 113 + message.length bytes.
    function encode(Header memory h, bytes memory message) internal pure returns (bytes memory) {
        bytes32 guid = computeGuid(h.nonce, h.srcEid, h.sender, h.dstEid, h.receiver);
        return abi.encodePacked(PACKET_VERSION, h.nonce, h.srcEid, h.sender, h.dstEid, h.receiver, guid, message);
    }

    /// @dev Reverts `PacketTooShort` unless the packet holds at least header and guid.
    function _checkLength(bytes calldata packet) private pure {
        if (packet.length < MESSAGE_OFFSET) revert PacketTooShort(packet.length);
    }

    /// @dev The 32 bytes of calldata at `packet[offset]`. Callers pass fixed offsets below
    ///      MESSAGE_OFFSET, after `_checkLength`, and shift away any bytes past the field they want.
    function _word(bytes calldata packet, uint256 offset) private pure returns (uint256 word) {
        // Safe: calldataload only reads; bytes past the end of calldata read as zero, and every
        // caller keeps only bytes inside the packet (offset + field size <= MESSAGE_OFFSET).
        assembly ("memory-safe") {
            word := calldataload(add(packet.offset, offset))
        }
    }

    /// @dev keccak256 of `packet[offset:offset + length]`, hashed from scratch memory.
    ///      Callers guarantee `offset + length <= packet.length`.
    function _hashCalldata(bytes calldata packet, uint256 offset, uint256 length)
        private
        pure
        returns (bytes32 result)
    {
        // Memory-safe: writes only at and above the free memory pointer without moving it, so the
        // bytes are scratch space that no allocated object owns; the range is inside the packet.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, add(packet.offset, offset), length)
            result := keccak256(ptr, length)
        }
    }
}
