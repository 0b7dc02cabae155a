// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ILoanbridgeEndpoint
/// @notice The messaging surface apps use. The full endpoint interface (errors, events,
///         delivery and administration) extends this one.
interface ILoanbridgeEndpointSender {
    /// @notice This chain's endpoint id.
    /// @return The endpoint id packets from this endpoint carry as `srcEid`.
    function localEid() external view returns (uint32);

    /// @notice Sends `message` from `msg.sender` to its registered peer on `dstEid`.
    /// @dev Assigns the next nonce of the path and emits `PacketSent` with the encoded packet.
    /// @param dstEid Destination endpoint id.
    /// @param message The loan message (shared/SPEC.md).
    /// @return guid The packet's guid.
    /// @return nonce The packet's nonce on its path.
    function send(uint32 dstEid, bytes calldata message) external returns (bytes32 guid, uint64 nonce);
}
