// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ILoanbridgeApp} from "../interfaces/ILoanbridgeApp.sol";
import {ILoanbridgeEndpointSender} from "../interfaces/ILoanbridgeEndpoint.sol";

/// @title SendRecorder
/// @notice A stand-in endpoint for app unit tests: records every `send` as an event and delivers
///         test messages by calling the app's `onPacket` as the endpoint would.
/// @dev Test-only; never deploy. No verification, and peers only as a settable table for apps
///      that read theirs: the apps' own `msg.sender == endpoint` check is what tests exercise.
contract SendRecorder is ILoanbridgeEndpointSender {
    /// @notice Emitted for every `send`.
    /// @param app The sending app (`msg.sender`).
    /// @param dstEid The destination endpoint id.
    /// @param nonce The app's send counter for `dstEid`, from 1.
    /// @param guid A guid unique per (app, dstEid, nonce).
    /// @param message The message sent.
    event Sent(address indexed app, uint32 indexed dstEid, uint64 nonce, bytes32 guid, bytes message);

    /// @inheritdoc ILoanbridgeEndpointSender
    uint32 public immutable localEid;

    mapping(address app => mapping(uint32 dstEid => uint64)) private _nonces;
    mapping(address app => mapping(uint32 remoteEid => bytes32)) private _peers;

    /// @param localEid_ The endpoint id apps read.
    constructor(uint32 localEid_) {
        localEid = localEid_;
    }

    /// @inheritdoc ILoanbridgeEndpointSender
    function send(uint32 dstEid, bytes calldata message) external returns (bytes32 guid, uint64 nonce) {
        nonce = ++_nonces[msg.sender][dstEid];
        guid = keccak256(abi.encodePacked(nonce, localEid, bytes32(uint256(uint160(msg.sender))), dstEid));
        emit Sent(msg.sender, dstEid, nonce, guid, message);
    }

    /// @inheritdoc ILoanbridgeEndpointSender
    function peer(address app, uint32 remoteEid) external view returns (bytes32) {
        return _peers[app][remoteEid];
    }

    /// @notice Sets what `peer` answers; open to anyone.
    /// @param app The local app.
    /// @param remoteEid The remote endpoint id.
    /// @param remoteApp The remote app, as bytes32.
    function setPeer(address app, uint32 remoteEid, bytes32 remoteApp) external {
        _peers[app][remoteEid] = remoteApp;
    }

    /// @notice Calls `app.onPacket` with this contract as the endpoint; reverts bubble up as is.
    /// @param app The receiving app.
    /// @param srcEid The source endpoint id to claim.
    /// @param sender The source app to claim.
    /// @param guid The guid to claim.
    /// @param message The loan message.
    function deliver(address app, uint32 srcEid, bytes32 sender, bytes32 guid, bytes calldata message) external {
        ILoanbridgeApp(app).onPacket(srcEid, sender, guid, message);
    }
}
