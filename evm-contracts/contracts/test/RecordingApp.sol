// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ILoanbridgeApp} from "../interfaces/ILoanbridgeApp.sol";
import {ILoanbridgeEndpointSender} from "../interfaces/ILoanbridgeEndpoint.sol";

/// @title RecordingApp
/// @notice A receiving app for endpoint tests: records what it is handed, and can be told to
///         reject, to burn gas, or to call back into the endpoint from inside `onPacket`.
/// @dev Test-only; never deploy. Its setters are open to anyone.
contract RecordingApp is ILoanbridgeApp {
    /// @notice Thrown when `onPacket` is called by anyone but the endpoint.
    /// @param caller The account that called.
    error RecordingAppNotEndpoint(address caller);

    /// @notice Thrown from `onPacket` while the app is told to reject.
    /// @param guid The packet's guid.
    error RecordingAppRejected(bytes32 guid);

    /// @notice The endpoint this app sends through and accepts packets from.
    ILoanbridgeEndpointSender public immutable endpoint;

    // Packed into one slot, so a quiet `onPacket` reads a single slot (a gas baseline).
    /// @notice Whether `onPacket` reverts with `RecordingAppRejected`.
    bool public rejecting;
    /// @notice Whether `onPacket` returns right after burning gas, recording nothing.
    bool public quiet;
    /// @notice Gas `onPacket` burns right after checking its caller.
    uint64 public gasToBurn;
    /// @notice Calldata `onPacket` sends to the endpoint (bubbling a revert); empty for none.
    bytes public reentryCall;

    /// @notice How many `onPacket` calls succeeded.
    uint256 public received;
    /// @notice How many `onPacket` calls succeeded per guid.
    mapping(bytes32 guid => uint256 count) public timesReceived;
    /// @notice The arguments of the last successful `onPacket` call.
    uint32 public lastSrcEid;
    /// @notice See `lastSrcEid`.
    bytes32 public lastSender;
    /// @notice See `lastSrcEid`.
    bytes32 public lastGuid;
    /// @notice See `lastSrcEid`.
    bytes public lastMessage;
    /// @notice `gasleft()` on entry to the last successful `onPacket` call.
    uint256 public lastGasAtEntry;

    /// @param endpoint_ The endpoint.
    constructor(ILoanbridgeEndpointSender endpoint_) {
        endpoint = endpoint_;
    }

    /// @notice Makes `onPacket` revert, or stop reverting.
    /// @param value Whether to reject.
    function setRejecting(bool value) external {
        rejecting = value;
    }

    /// @notice Makes `onPacket` record nothing, or record again.
    /// @param value Whether to be quiet.
    function setQuiet(bool value) external {
        quiet = value;
    }

    /// @notice Sets the gas `onPacket` burns.
    /// @param value The gas to burn.
    function setGasToBurn(uint64 value) external {
        gasToBurn = value;
    }

    /// @notice Sets the call `onPacket` makes into the endpoint; empty for none.
    /// @param data The calldata, e.g. an encoded `deliver`, `retry` or `send`.
    function setReentryCall(bytes calldata data) external {
        reentryCall = data;
    }

    /// @notice Sends `message` to this app's peer on `dstEid` through the endpoint.
    /// @param dstEid The destination endpoint id.
    /// @param message The message.
    /// @return guid The packet's guid.
    /// @return nonce The packet's nonce.
    function sendPacket(uint32 dstEid, bytes calldata message) external returns (bytes32 guid, uint64 nonce) {
        return endpoint.send(dstEid, message);
    }

    /// @inheritdoc ILoanbridgeApp
    function onPacket(uint32 srcEid, bytes32 sender, bytes32 guid, bytes calldata message) external {
        uint256 gasAtEntry = gasleft();
        if (msg.sender != address(endpoint)) revert RecordingAppNotEndpoint(msg.sender);
        uint256 toBurn = gasToBurn;
        // Cannot underflow: gasleft() only falls, so it stays <= gasAtEntry.
        unchecked {
            while (gasAtEntry - gasleft() < toBurn) {}
        }
        if (quiet) return;

        bytes memory call = reentryCall;
        if (call.length != 0) Address.functionCall(address(endpoint), call);
        if (rejecting) revert RecordingAppRejected(guid);

        ++received;
        ++timesReceived[guid];
        lastSrcEid = srcEid;
        lastSender = sender;
        lastGuid = guid;
        lastMessage = message;
        lastGasAtEntry = gasAtEntry;
    }
}
