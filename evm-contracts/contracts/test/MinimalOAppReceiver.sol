// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Origin} from "@layerzerolabs/lz-evm-protocol-v2/contracts/interfaces/ILayerZeroEndpointV2.sol";
import {ILayerZeroReceiver} from "@layerzerolabs/lz-evm-protocol-v2/contracts/interfaces/ILayerZeroReceiver.sol";

/// @title MinimalOAppReceiver
/// @notice The least a LayerZero V2 receiving app does, for the side-by-side gas report
///         (bench/gas.ts): what `OAppReceiver` checks — the caller is the endpoint and the
///         origin's sender is the peer on its eid — and nothing else, like the no-op
///         `RecordingApp` our endpoint is measured with.
/// @dev Test-only; never deploy. `setPeer` is open to anyone.
contract MinimalOAppReceiver is ILayerZeroReceiver {
    /// @notice Thrown when `lzReceive` is called by anyone but the endpoint (`OAppReceiver`'s
    ///         `OnlyEndpoint`).
    /// @param caller The account that called.
    error MinimalOAppReceiverOnlyEndpoint(address caller);

    /// @notice Thrown when the origin's sender is not the peer on its eid (`OnlyPeer`).
    /// @param eid The origin's endpoint id.
    /// @param sender The origin's sender.
    error MinimalOAppReceiverOnlyPeer(uint32 eid, bytes32 sender);

    /// @notice Emitted when a peer was set.
    /// @param eid The remote endpoint id.
    /// @param peer The remote app, as bytes32.
    event PeerSet(uint32 eid, bytes32 peer);

    /// @notice The LayerZero EndpointV2 that delivers to this app.
    address public immutable endpoint;

    /// @notice The remote app per endpoint id (`OAppCore.peers`).
    mapping(uint32 eid => bytes32 peer) public peers;

    /// @param endpoint_ The LayerZero EndpointV2.
    constructor(address endpoint_) {
        endpoint = endpoint_;
    }

    /// @notice Sets the remote app on an endpoint id.
    /// @param eid The remote endpoint id.
    /// @param peer The remote app, as bytes32.
    function setPeer(uint32 eid, bytes32 peer) external {
        peers[eid] = peer;
        emit PeerSet(eid, peer);
    }

    /// @inheritdoc ILayerZeroReceiver
    function allowInitializePath(Origin calldata origin) external view returns (bool) {
        return peers[origin.srcEid] == origin.sender;
    }

    /// @inheritdoc ILayerZeroReceiver
    /// @dev Zero: nonces may be executed in any order once verified (`OAppReceiver`'s default).
    function nextNonce(uint32, bytes32) external pure returns (uint64) {
        return 0;
    }

    /// @inheritdoc ILayerZeroReceiver
    function lzReceive(Origin calldata origin, bytes32, bytes calldata, address, bytes calldata)
        external
        payable
    {
        if (msg.sender != endpoint) revert MinimalOAppReceiverOnlyEndpoint(msg.sender);
        if (peers[origin.srcEid] != origin.sender) revert MinimalOAppReceiverOnlyPeer(origin.srcEid, origin.sender);
    }
}
