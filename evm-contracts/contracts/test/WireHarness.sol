// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AttestationDigest} from "../libraries/AttestationDigest.sol";
import {EvmAddress} from "../libraries/EvmAddress.sol";
import {LoanMessageCodec} from "../libraries/LoanMessageCodec.sol";
import {PacketCodec} from "../libraries/PacketCodec.sol";

/// @title WireHarness
/// @notice Exposes the wire-format libraries as external functions for tests. Inputs are
///         `bytes calldata`, so the libraries' calldata slicing is what runs.
/// @dev Test-only; never deploy.
contract WireHarness {
    // ---------------------------------------------------------------------------------------------
    // PacketCodec
    // ---------------------------------------------------------------------------------------------

    /// @notice `PacketCodec.decode`.
    /// @param packet The encoded packet.
    /// @return header The header fields.
    /// @return guid The packet's guid.
    /// @return message The message bytes.
    function decodePacket(bytes calldata packet)
        external
        pure
        returns (PacketCodec.Header memory header, bytes32 guid, bytes memory message)
    {
        return PacketCodec.decode(packet);
    }

    /// @notice `PacketCodec.encode`.
    /// @param header The header fields.
    /// @param message The message to carry.
    /// @return The encoded packet.
    function encodePacket(PacketCodec.Header calldata header, bytes calldata message)
        external
        pure
        returns (bytes memory)
    {
        return PacketCodec.encode(header, message);
    }

    /// @notice `PacketCodec.header`.
    /// @param packet The encoded packet.
    /// @return The 81 header bytes.
    function packetHeader(bytes calldata packet) external pure returns (bytes memory) {
        return PacketCodec.header(packet);
    }

    /// @notice `PacketCodec.payloadHash`.
    /// @param packet The encoded packet.
    /// @return keccak256(guid ‖ message).
    function payloadHash(bytes calldata packet) external pure returns (bytes32) {
        return PacketCodec.payloadHash(packet);
    }

    /// @notice `PacketCodec.computeGuid`.
    /// @param nonce The nonce.
    /// @param srcEid The source endpoint id.
    /// @param sender The source app.
    /// @param dstEid The destination endpoint id.
    /// @param receiver The destination app.
    /// @return The guid.
    function computeGuid(uint64 nonce, uint32 srcEid, bytes32 sender, uint32 dstEid, bytes32 receiver)
        external
        pure
        returns (bytes32)
    {
        return PacketCodec.computeGuid(nonce, srcEid, sender, dstEid, receiver);
    }

    // ---------------------------------------------------------------------------------------------
    // LoanMessageCodec
    // ---------------------------------------------------------------------------------------------

    /// @notice `LoanMessageCodec.messageType`.
    /// @param message The encoded message.
    /// @return The message's type.
    function messageType(bytes calldata message) external pure returns (uint8) {
        return LoanMessageCodec.messageType(message);
    }

    /// @notice `LoanMessageCodec.decodeOpenLoan`.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeOpenLoan(bytes calldata message) external pure returns (LoanMessageCodec.OpenLoan memory) {
        return LoanMessageCodec.decodeOpenLoan(message);
    }

    /// @notice `LoanMessageCodec.decodeLoanActive`.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeLoanActive(bytes calldata message) external pure returns (LoanMessageCodec.LoanActive memory) {
        return LoanMessageCodec.decodeLoanActive(message);
    }

    /// @notice `LoanMessageCodec.decodeLoanRejected`.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeLoanRejected(bytes calldata message)
        external
        pure
        returns (LoanMessageCodec.LoanRejected memory)
    {
        return LoanMessageCodec.decodeLoanRejected(message);
    }

    /// @notice `LoanMessageCodec.decodeRepaid`.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeRepaid(bytes calldata message) external pure returns (LoanMessageCodec.Repaid memory) {
        return LoanMessageCodec.decodeRepaid(message);
    }

    /// @notice `LoanMessageCodec.decodeDefaulted`.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeDefaulted(bytes calldata message) external pure returns (LoanMessageCodec.Seizure memory) {
        return LoanMessageCodec.decodeDefaulted(message);
    }

    /// @notice `LoanMessageCodec.decodeLiquidated`.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeLiquidated(bytes calldata message) external pure returns (LoanMessageCodec.Seizure memory) {
        return LoanMessageCodec.decodeLiquidated(message);
    }

    /// @notice `LoanMessageCodec.encodeOpenLoan`.
    /// @param m The fields.
    /// @return The encoded message.
    function encodeOpenLoan(LoanMessageCodec.OpenLoan calldata m) external pure returns (bytes memory) {
        return LoanMessageCodec.encodeOpenLoan(m);
    }

    /// @notice `LoanMessageCodec.encodeLoanActive`.
    /// @param m The fields.
    /// @return The encoded message.
    function encodeLoanActive(LoanMessageCodec.LoanActive calldata m) external pure returns (bytes memory) {
        return LoanMessageCodec.encodeLoanActive(m);
    }

    /// @notice `LoanMessageCodec.encodeLoanRejected`.
    /// @param m The fields.
    /// @return The encoded message.
    function encodeLoanRejected(LoanMessageCodec.LoanRejected calldata m) external pure returns (bytes memory) {
        return LoanMessageCodec.encodeLoanRejected(m);
    }

    /// @notice `LoanMessageCodec.encodeRepaid`.
    /// @param m The fields.
    /// @return The encoded message.
    function encodeRepaid(LoanMessageCodec.Repaid calldata m) external pure returns (bytes memory) {
        return LoanMessageCodec.encodeRepaid(m);
    }

    /// @notice `LoanMessageCodec.encodeDefaulted`.
    /// @param m The fields.
    /// @return The encoded message.
    function encodeDefaulted(LoanMessageCodec.Seizure calldata m) external pure returns (bytes memory) {
        return LoanMessageCodec.encodeDefaulted(m);
    }

    /// @notice `LoanMessageCodec.encodeLiquidated`.
    /// @param m The fields.
    /// @return The encoded message.
    function encodeLiquidated(LoanMessageCodec.Seizure calldata m) external pure returns (bytes memory) {
        return LoanMessageCodec.encodeLiquidated(m);
    }

    // ---------------------------------------------------------------------------------------------
    // AttestationDigest
    // ---------------------------------------------------------------------------------------------

    /// @notice `AttestationDigest.ATTESTATION_DOMAIN`.
    /// @return The domain tag.
    function attestationDomain() external pure returns (bytes32) {
        return AttestationDigest.ATTESTATION_DOMAIN;
    }

    /// @notice `AttestationDigest.compute`.
    /// @param endpoint The destination endpoint as bytes32.
    /// @param epoch The verifier-set epoch.
    /// @param header The packet's 81 header bytes.
    /// @param payloadHash_ keccak256(guid ‖ message).
    /// @return The digest.
    function attestationDigest(bytes32 endpoint, uint64 epoch, bytes calldata header, bytes32 payloadHash_)
        external
        pure
        returns (bytes32)
    {
        return AttestationDigest.compute(endpoint, epoch, header, payloadHash_);
    }

    /// @notice `AttestationDigest.forPacket`.
    /// @param endpoint The destination endpoint as bytes32.
    /// @param epoch The verifier-set epoch.
    /// @param packet The encoded packet.
    /// @return The digest.
    function packetAttestationDigest(bytes32 endpoint, uint64 epoch, bytes calldata packet)
        external
        pure
        returns (bytes32)
    {
        return AttestationDigest.forPacket(endpoint, epoch, packet);
    }

    // ---------------------------------------------------------------------------------------------
    // EvmAddress
    // ---------------------------------------------------------------------------------------------

    /// @notice `EvmAddress.toAddress`.
    /// @param value The wire bytes32.
    /// @return The address.
    function toAddress(bytes32 value) external pure returns (address) {
        return EvmAddress.toAddress(value);
    }

    /// @notice `EvmAddress.toBytes32`.
    /// @param account The address.
    /// @return The wire bytes32.
    function toBytes32(address account) external pure returns (bytes32) {
        return EvmAddress.toBytes32(account);
    }
}
