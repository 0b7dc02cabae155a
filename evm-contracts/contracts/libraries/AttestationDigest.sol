// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {PacketCodec} from "./PacketCodec.sol";

/// @title AttestationDigest
/// @notice What relayers sign and endpoints verify (shared/SPEC.md "Attestation digest"):
///         keccak256(ATTESTATION_DOMAIN ‖ endpoint ‖ epoch ‖ header ‖ payloadHash), a 185-byte
///         preimage, signed as is (no EIP-191 prefix). `endpoint` is the destination endpoint's
///         address as bytes32, so an attestation is valid on one deployment only, even where two
///         share an eid, apps and verifier set.
library AttestationDigest {
    /// @notice The header is not exactly `PacketCodec.HEADER_LENGTH` (81) bytes.
    /// @param length The header's length in bytes.
    error InvalidHeaderLength(uint256 length);

    /// @notice Separates loanbridge attestations from any other use of the relayers' keys.
    bytes32 internal constant ATTESTATION_DOMAIN = keccak256("loanbridge:attestation:v2");

    /// @dev Preimage layout: domain at 0, endpoint at 32, epoch at 64, header at 72, payloadHash
    ///      at 153. `_HEADER_LENGTH` mirrors `PacketCodec.HEADER_LENGTH` for use in assembly.
    uint256 private constant _HEADER_LENGTH = 81;
    uint256 private constant _ENDPOINT_OFFSET = 32;
    uint256 private constant _EPOCH_OFFSET = 64;
    uint256 private constant _HEADER_OFFSET = 72;
    uint256 private constant _PAYLOAD_HASH_OFFSET = 153;
    uint256 private constant _PREIMAGE_LENGTH = 185;

    /// @notice The digest of a packet given as header and payload hash.
    /// @dev Reverts `InvalidHeaderLength` unless `header` is 81 bytes.
    /// @param endpoint The destination endpoint's address as bytes32 (shared/SPEC.md "Addresses").
    /// @param epoch The destination's verifier-set epoch.
    /// @param header The packet's bytes 0..81.
    /// @param payloadHash keccak256(guid ‖ message).
    /// @return digest The 32 bytes the relayers sign.
    function compute(bytes32 endpoint, uint64 epoch, bytes calldata header, bytes32 payloadHash)
        internal
        pure
        returns (bytes32 digest)
    {
        if (header.length != _HEADER_LENGTH) revert InvalidHeaderLength(header.length);
        bytes32 domain = ATTESTATION_DOMAIN;
        // Memory-safe: builds the 185-byte preimage in scratch memory at the free memory pointer
        // without moving it; nothing allocated lives there. shl(192) puts the epoch in the top
        // 8 bytes of its word and drops any dirty bits above its 64 (the header copy then
        // overwrites the word's low 24 bytes). The header is 81 bytes (checked above), so the
        // copy stays inside the packet and ends exactly where the payload hash goes.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, domain)
            mstore(add(ptr, _ENDPOINT_OFFSET), endpoint)
            mstore(add(ptr, _EPOCH_OFFSET), shl(192, epoch))
            calldatacopy(add(ptr, _HEADER_OFFSET), header.offset, _HEADER_LENGTH)
            mstore(add(ptr, _PAYLOAD_HASH_OFFSET), payloadHash)
            digest := keccak256(ptr, _PREIMAGE_LENGTH)
        }
    }

    /// @notice The digest of a whole encoded packet.
    /// @dev Decodes the packet first, so it reverts as `PacketCodec.decode` does
    ///      (`PacketTooShort`, `UnsupportedPacketVersion`, `GuidMismatch`).
    /// @param endpoint The destination endpoint's address as bytes32.
    /// @param epoch The destination's verifier-set epoch.
    /// @param packet The encoded packet.
    /// @return The 32 bytes the relayers sign.
    function forPacket(bytes32 endpoint, uint64 epoch, bytes calldata packet) internal pure returns (bytes32) {
        PacketCodec.decode(packet);
        return compute(endpoint, epoch, PacketCodec.header(packet), PacketCodec.payloadHash(packet));
    }
}
