// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title ILoanbridgeEndpointSender
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

    /// @notice The remote app a local app exchanges packets with on an endpoint id.
    /// @dev Apps read their own peer here: the pool derives a cancelled loan's id from it.
    /// @param app The local app.
    /// @param remoteEid The remote endpoint id.
    /// @return The remote app, as bytes32; zero if none.
    function peer(address app, uint32 remoteEid) external view returns (bytes32);
}

/// @title ILoanbridgeEndpoint
/// @notice One chain's endpoint: sends packets for its apps, delivers packets attested by a
///         threshold of the current verifier set (shared/SPEC.md "Attestation digest"), stores
///         failed deliveries for retry, and is administered by an owner and a guardian.
/// @dev Besides the errors below, `deliver` and `retry` revert with the wire libraries' errors
///      for malformed input (`PacketTooShort`, `UnsupportedPacketVersion`, `GuidMismatch`,
///      `NotAnEvmAddress`), and owner-only functions with Ownable's `OwnableUnauthorizedAccount`.
///
///      The owner should be a timelock: peer, verifier-set and guardian changes then take effect
///      only after a delay that users and operators can watch ("admin changes behind a delay",
///      shared DESIGN.md). The guardian is a fast key that can only pause.
interface ILoanbridgeEndpoint is ILoanbridgeEndpointSender {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    /// @notice A stored failure as `storedFailure` reports it. Where it came from is in the
    ///         packet's header, which its guid binds (and `PacketDelivered` logs).
    /// @param messageHash keccak256 of the message whose app call failed.
    /// @param epoch The verifier epoch whose signatures delivered it.
    /// @param approvedEpoch The epoch the owner last re-approved it under; zero if never.
    struct StoredFailure {
        bytes32 messageHash;
        uint64 epoch;
        uint64 approvedEpoch;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice Thrown when `deliver` or `retry` is called while the endpoint is paused, or `pause`
    ///         while it already is.
    error EndpointPaused();

    /// @notice Thrown when `unpause` is called while the endpoint is not paused.
    error EndpointNotPaused();

    /// @notice Thrown when `pause` is called by neither the guardian nor the owner.
    /// @param caller The account that called.
    error EndpointNotGuardian(address caller);

    /// @notice Thrown when an app sends to an endpoint id on which it has no registered peer.
    /// @param app The sending app.
    /// @param dstEid The destination endpoint id.
    error EndpointNoPeer(address app, uint32 dstEid);

    /// @notice Thrown when a packet is addressed to another endpoint id than this one.
    /// @param dstEid The packet's destination endpoint id.
    error EndpointWrongDestination(uint32 dstEid);

    /// @notice Thrown when a packet's receiver is an address without code.
    /// @param receiver The packet's receiver.
    error EndpointReceiverNotContract(address receiver);

    /// @notice Thrown when a packet's sender is not the receiver's registered peer on its source
    ///         endpoint id (including when the receiver has no peer there).
    /// @param srcEid The packet's source endpoint id.
    /// @param sender The packet's sender.
    error EndpointUnknownPeer(uint32 srcEid, bytes32 sender);

    /// @notice Thrown when a packet already delivered (its nonce on its path is marked) is
    ///         delivered again.
    /// @param guid The packet's guid.
    error EndpointAlreadyDelivered(bytes32 guid);

    /// @notice Thrown when the signatures are not a whole number of 65-byte signatures.
    /// @param length The signatures' length in bytes.
    error EndpointInvalidSignaturesLength(uint256 length);

    /// @notice Thrown when fewer signatures than the threshold are given.
    /// @param count The number of signatures given.
    /// @param threshold The verifier set's threshold.
    error EndpointBelowThreshold(uint256 count, uint8 threshold);

    /// @notice Thrown when a signature does not recover: bad `v`, `s` in the upper half order
    ///         (malleable), or no signer.
    /// @param index The signature's position.
    error EndpointInvalidSignature(uint256 index);

    /// @notice Thrown when signers are not strictly ascending (unsorted or repeated).
    /// @param index The signature's position.
    /// @param signer The signer recovered at `index`.
    error EndpointSignersNotAscending(uint256 index, address signer);

    /// @notice Thrown when a signer is not a member of the current verifier set.
    /// @param index The signature's position.
    /// @param signer The signer recovered at `index`.
    error EndpointSignerNotVerifier(uint256 index, address signer);

    /// @notice Thrown when too little gas is left to give the receiving app `MIN_RECEIVE_GAS`
    ///         and still record a failure.
    /// @param available The gas left before the call.
    /// @param required The gas needed at that point.
    error EndpointInsufficientGas(uint256 available, uint256 required);

    /// @notice Thrown when `retry`, `approveRetry` or `clearFailure` is called for a guid without a
    ///         stored failure (never delivered, delivered fine, retried, or cleared).
    /// @param guid The packet's guid.
    error EndpointNoFailedPacket(bytes32 guid);

    /// @notice Thrown when `retry` is given a message other than the one that failed.
    /// @param guid The packet's guid.
    /// @param storedHash keccak256 of the message that failed.
    /// @param messageHash keccak256 of the message given.
    error EndpointFailedMessageMismatch(bytes32 guid, bytes32 storedHash, bytes32 messageHash);

    /// @notice Thrown when `retry` is called for a failure whose source app is no longer the
    ///         receiver's peer on its source endpoint id (the peer was unset or replaced): a
    ///         delivery from that app would be refused now, so its retry is too.
    /// @param guid The packet's guid.
    /// @param sender The source app the failure was delivered from.
    /// @param currentPeer The receiver's peer there now; zero if none.
    error EndpointRetryPeerChanged(bytes32 guid, bytes32 sender, bytes32 currentPeer);

    /// @notice Thrown when `retry` is called for a failure delivered under an earlier verifier
    ///         epoch that the owner has not re-approved under the current one: a retired (maybe
    ///         compromised) set's attestation must not take effect after its rotation.
    /// @param guid The packet's guid.
    /// @param deliveredEpoch The epoch it was delivered under.
    /// @param currentEpoch The current epoch.
    error EndpointRetryNotApproved(bytes32 guid, uint64 deliveredEpoch, uint64 currentEpoch);

    /// @notice Thrown when a verifier set has more signers than `MAX_VERIFIERS`.
    /// @param count The number of signers.
    /// @param max The cap.
    error EndpointTooManyVerifiers(uint256 count, uint256 max);

    /// @notice Thrown when a threshold is zero or above the number of signers.
    /// @param threshold The threshold.
    /// @param count The number of signers.
    error EndpointInvalidThreshold(uint8 threshold, uint256 count);

    /// @notice Thrown when a verifier set contains the zero address.
    /// @param index The position of the zero address.
    error EndpointZeroVerifier(uint256 index);

    /// @notice Thrown when a verifier set's signers are not strictly ascending (unsorted or repeated).
    /// @param index The position of the first signer out of order.
    /// @param signer That signer.
    error EndpointVerifiersNotAscending(uint256 index, address signer);

    /// @notice Thrown when the owner calls `renounceOwnership`, which is disabled: without an owner
    ///         the verifier set and peers could never change again and a pause would be permanent.
    error EndpointRenounceDisabled();

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice Emitted when an app sent a packet; relayers read the encoded packet from here.
    /// @param packet The encoded packet (shared/SPEC.md "Packet").
    /// @param guid The packet's guid.
    /// @param dstEid The destination endpoint id.
    /// @param sender The sending app.
    /// @param nonce The packet's nonce on its path.
    event PacketSent(bytes packet, bytes32 indexed guid, uint32 indexed dstEid, address indexed sender, uint64 nonce);

    /// @notice Emitted when a packet was verified and marked delivered, before its app is called.
    /// @param guid The packet's guid.
    /// @param srcEid The source endpoint id.
    /// @param sender The source app.
    /// @param receiver The receiving app.
    /// @param nonce The packet's nonce on its path.
    event PacketDelivered(
        bytes32 indexed guid, uint32 indexed srcEid, bytes32 sender, address indexed receiver, uint64 nonce
    );

    /// @notice Emitted when the receiving app reverted on delivery; the failure is stored for `retry`.
    /// @param guid The packet's guid.
    /// @param reason The app's revert data.
    event PacketFailed(bytes32 indexed guid, bytes reason);

    /// @notice Emitted when a failed packet was retried and the app accepted it.
    /// @param guid The packet's guid.
    event PacketRetried(bytes32 indexed guid);

    /// @notice Emitted when the owner re-approved a stored failure under the current epoch.
    /// @param guid The packet's guid.
    /// @param epoch The current epoch, under which `retry` may now execute it.
    event RetryApproved(bytes32 indexed guid, uint64 epoch);

    /// @notice Emitted when the owner cleared a stored failure; the packet stays delivered and can
    ///         never execute.
    /// @param guid The packet's guid.
    /// @param messageHash keccak256 of the message that had failed.
    event FailureCleared(bytes32 indexed guid, bytes32 messageHash);

    /// @notice Emitted when an app's peer on a remote endpoint id was set or (to zero) unset.
    /// @param app The local app.
    /// @param remoteEid The remote endpoint id.
    /// @param remoteApp The remote app, as bytes32; zero when unset.
    event PeerSet(address indexed app, uint32 indexed remoteEid, bytes32 remoteApp);

    /// @notice Emitted when the verifier set was replaced; signatures of earlier epochs are void.
    /// @param epoch The new epoch.
    /// @param signers The new signers, strictly ascending.
    /// @param threshold The new threshold.
    event VerifierSetChanged(uint64 indexed epoch, address[] signers, uint8 threshold);

    /// @notice Emitted when the guardian changed.
    /// @param previousGuardian The guardian before.
    /// @param newGuardian The guardian now (zero: none).
    event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);

    /// @notice Emitted when the endpoint was paused.
    /// @param account The guardian or owner that paused it.
    event Paused(address indexed account);

    /// @notice Emitted when the endpoint was unpaused.
    /// @param account The owner, who unpaused it.
    event Unpaused(address indexed account);

    // ---------------------------------------------------------------------------------------------
    // Delivery
    // ---------------------------------------------------------------------------------------------

    /// @notice Verifies a packet addressed to this endpoint, marks it delivered and calls its app.
    /// @dev Anyone may call (normally the executing relayer). Checks, in order: not paused; the
    ///      packet decodes; `dstEid` is this endpoint; the receiver is an EVM address whose peer on
    ///      `srcEid` is the packet's sender, and has code; the packet's nonce was never delivered
    ///      on its path (receiver, `srcEid`, sender), in whatever order nonces arrive;
    ///      `signatures` are at least `threshold` signatures over
    ///      `AttestationDigest.compute(endpoint, epoch, header, payloadHash)` (`endpoint`: this
    ///      contract's address as bytes32, so an attestation is good on this deployment only) by
    ///      members of the current verifier set, signers strictly ascending. Then calls
    ///      `ILoanbridgeApp(receiver).onPacket`; if the app reverts, the packet stays delivered and
    ///      the failure is stored for `retry` (`PacketFailed`). The caller must leave at least
    ///      `MIN_RECEIVE_GAS` (plus a reserve for recording a failure) for the app.
    /// @param packet The encoded packet.
    /// @param signatures Concatenated 65-byte signatures (r ‖ s ‖ v) over the raw digest.
    function deliver(bytes calldata packet, bytes calldata signatures) external;

    /// @notice Calls the app again for a delivered packet whose call failed, while a delivery of it
    ///         would still be accepted.
    /// @dev Anyone may call. Not while paused. The packet must decode and its message must hash to
    ///      the stored failure; the receiver's peer on the packet's `srcEid` must still be the
    ///      packet's sender (`EndpointRetryPeerChanged`); and the current verifier epoch must be
    ///      the one it was delivered under, or the one the owner re-approved it under with
    ///      `approveRetry` (`EndpointRetryNotApproved`). Clears the failure first; if the app
    ///      reverts again, the whole call reverts with the app's reason and the failure stays.
    /// @param packet The encoded packet, as delivered.
    function retry(bytes calldata packet) external;

    /// @notice Lets `retry` execute a stored failure under the current verifier epoch, although
    ///         it was delivered under an earlier one.
    /// @dev Owner only (a timelock: users see the approval coming). For a failure the owner has
    ///      checked was a genuine packet of the source chain. Voided by the next rotation. Does
    ///      not override a changed peer. Emits `RetryApproved`.
    /// @param guid The packet's guid.
    function approveRetry(bytes32 guid) external;

    /// @notice Forgets a stored failure for good (LayerZero's `burn`/`nilify`): the packet stays
    ///         delivered, so neither `retry` nor `deliver` can ever execute it.
    /// @dev Owner only. For a failure that must never take effect (a forged packet of a retired
    ///      quorum, a message overtaken by events). Emits `FailureCleared`.
    /// @param guid The packet's guid.
    function clearFailure(bytes32 guid) external;

    /// @notice Whether a packet was delivered (whether its app call succeeded or not), by the
    ///         header fields that place it: its path and its nonce on that path.
    /// @dev Replay protection is a bitmap per path, so a guid alone (a hash) cannot be looked up.
    /// @param receiver The receiving app (the packet's `receiver` as an address).
    /// @param srcEid The packet's source endpoint id.
    /// @param sender The packet's source app, as bytes32.
    /// @param nonce The packet's nonce on its path.
    /// @return True once `deliver` accepted the packet.
    function delivered(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce) external view returns (bool);

    /// @notice The stored failure of a delivered packet.
    /// @param guid The packet's guid.
    /// @return keccak256 of the message whose app call failed; zero if none is stored.
    function failedPayloadHash(bytes32 guid) external view returns (bytes32);

    /// @notice A stored failure: the message hash, where and under which epoch it was delivered,
    ///         and its re-approval.
    /// @param guid The packet's guid.
    /// @return failure The stored failure; all zero if none is stored.
    function storedFailure(bytes32 guid) external view returns (StoredFailure memory failure);

    /// @notice The last nonce sent on a path; the next packet on it carries this plus one.
    /// @param app The sending app.
    /// @param dstEid The destination endpoint id.
    /// @param receiver The receiving app on `dstEid`.
    /// @return The last nonce used; zero before the first packet.
    function outboundNonce(address app, uint32 dstEid, bytes32 receiver) external view returns (uint64);

    /// @notice The least gas `deliver` makes sure the receiving app's call gets.
    /// @return The gas amount.
    function MIN_RECEIVE_GAS() external view returns (uint256);

    // ---------------------------------------------------------------------------------------------
    // Peers
    // ---------------------------------------------------------------------------------------------

    /// @notice Sets or (with zero) unsets the remote app a local app exchanges packets with.
    /// @dev Owner only. An app with no peer on an endpoint id can neither send there nor receive
    ///      from there, and none of its stored failures from there can be retried.
    /// @param app The local app.
    /// @param remoteEid The remote endpoint id.
    /// @param remoteApp The remote app, as bytes32 (shared/SPEC.md "Addresses"); zero to unset.
    function setPeer(address app, uint32 remoteEid, bytes32 remoteApp) external;

    // ---------------------------------------------------------------------------------------------
    // Verifier set
    // ---------------------------------------------------------------------------------------------

    /// @notice Replaces the verifier set and starts a new epoch, voiding all earlier signatures.
    /// @dev Owner only. Signers nonzero and strictly ascending, at most `MAX_VERIFIERS`;
    ///      1 ≤ threshold ≤ signers. The threshold must exceed the number of keys any single
    ///      operator holds, or one operator alone can deliver forged packets (Ronin, Harmony).
    /// @param signers The new signers' addresses, strictly ascending.
    /// @param threshold How many of them must sign a packet.
    function setVerifierSet(address[] calldata signers, uint8 threshold) external;

    /// @notice The current verifier set.
    /// @return signers The signers, strictly ascending.
    /// @return threshold How many of them must sign a packet.
    /// @return epoch The set's epoch, which attestation digests commit to.
    function verifierSet() external view returns (address[] memory signers, uint8 threshold, uint64 epoch);

    /// @notice Whether an address is a member of the current verifier set.
    /// @param signer The address.
    /// @return True if its signatures count towards the threshold.
    function isVerifier(address signer) external view returns (bool);

    /// @notice The most signers a verifier set may have.
    /// @return The cap.
    function MAX_VERIFIERS() external view returns (uint256);

    // ---------------------------------------------------------------------------------------------
    // Pause and guardian
    // ---------------------------------------------------------------------------------------------

    /// @notice Stops `deliver` and `retry` (what comes in). `send` goes on: a repayment or an
    ///         answer made during a pause is sent, and delivered once the destination accepts it.
    /// @dev Guardian or owner.
    function pause() external;

    /// @notice Resumes `deliver` and `retry`.
    /// @dev Owner only, so a compromised guardian key can stop the endpoint but never resume it.
    function unpause() external;

    /// @notice Replaces the guardian.
    /// @dev Owner only; zero leaves only the owner able to pause.
    /// @param newGuardian The new guardian.
    function setGuardian(address newGuardian) external;

    /// @notice Whether the endpoint is paused.
    /// @return True while `deliver` and `retry` are stopped.
    function paused() external view returns (bool);

    /// @notice The account that may pause besides the owner.
    /// @return The guardian; zero if none.
    function guardian() external view returns (address);
}
