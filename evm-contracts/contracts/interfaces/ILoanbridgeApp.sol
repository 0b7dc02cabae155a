// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ILoanbridgeApp
/// @notice What the endpoint calls on a receiving app (collateral vault or lending pool).
/// @dev The endpoint calls nothing else on an app, so a packet can never reach an admin
///      function (Poly Network, 2021). A revert is stored by the endpoint for retry.
interface ILoanbridgeApp {
    /// @notice Handles a loan message whose packet the endpoint has verified.
    /// @dev MUST revert unless `msg.sender` is the app's endpoint.
    /// @param srcEid Endpoint id of the chain the packet came from.
    /// @param sender The registered peer app on that chain, as bytes32.
    /// @param guid The packet's guid.
    /// @param message The loan message (shared/SPEC.md).
    function onPacket(uint32 srcEid, bytes32 sender, bytes32 guid, bytes calldata message) external;
}
