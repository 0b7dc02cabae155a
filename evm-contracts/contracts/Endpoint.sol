// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ILoanbridgeApp} from "./interfaces/ILoanbridgeApp.sol";
import {ILoanbridgeEndpoint, ILoanbridgeEndpointSender} from "./interfaces/ILoanbridgeEndpoint.sol";
import {AttestationDigest} from "./libraries/AttestationDigest.sol";
import {EvmAddress} from "./libraries/EvmAddress.sol";
import {PacketCodec} from "./libraries/PacketCodec.sol";

/// @title Endpoint
/// @notice Sends packets for local apps and delivers packets attested by k of n verifiers
///         (shared/DESIGN.md "Trust and verification").
/// @dev The owner should be a timelock (see `ILoanbridgeEndpoint`). Storage is laid out so that
///      `deliver` reads one packed slot for pause flag, epoch and threshold, one slot per
///      signature for membership, one for the peer and one for the guid's status.
contract Endpoint is ILoanbridgeEndpoint, Ownable2Step, ReentrancyGuardTransient {
    /// @notice The least gas the receiving app's `onPacket` gets from `deliver`.
    /// @dev Without a floor, an executor could pass just enough gas for `deliver` to finish while
    ///      the app runs out, and so have any packet stored as failed. With it, an app that needs at
    ///      most this much never fails for lack of gas: a failure is the app's own. 300k covers the
    ///      vault and pool handlers (a few storage writes, a token transfer, an answering `send`)
    ///      with room to spare; it raises the gas limit `deliver` needs, not the gas it uses.
    uint256 public constant MIN_RECEIVE_GAS = 300_000;

    /// @notice The most signers a verifier set may have.
    /// @dev Bounds `setVerifierSet`'s loop and the `verifierSet()` view. Thirty-two independent
    ///      operators is more than the deployment plans; `deliver` costs do not depend on it.
    uint256 public constant MAX_VERIFIERS = 32;

    /// @dev Gas kept back from the app's call so a failure can still be recorded (hash the
    ///      message, rewrite the guid's slot, emit `PacketFailed`) even if the app burns all it got.
    uint256 private constant _FAILURE_GAS = 30_000;

    /// @dev One signature: r (32) ‖ s (32) ‖ v (1).
    uint256 private constant _SIGNATURE_LENGTH = 65;

    /// @dev `_inbound` value of a delivered guid without a stored failure. A failure stores
    ///      keccak256(message) instead, which is never 0 or 1 (that would need a hash preimage).
    bytes32 private constant _DELIVERED = bytes32(uint256(1));

    /// @inheritdoc ILoanbridgeEndpointSender
    uint32 public immutable localEid;

    // Packed into one slot (20 + 1 + 8 + 1 bytes), which `deliver` reads once.
    address private _guardian;
    bool private _paused;
    /// @dev Starts at 1 (the constructor's set), never 0: `_signerEpoch` defaults to 0 for every
    ///      address, so epoch 0 would make everyone a verifier.
    uint64 private _epoch;
    uint8 private _threshold;

    /// @dev The current signers, for `verifierSet()`; `deliver` never reads it.
    address[] private _signers;

    /// @dev Membership: a signer is a verifier iff its entry equals the current epoch. One cold
    ///      slot read per signature in `deliver`, the same as an epoch-scoped
    ///      `mapping(epoch => mapping(signer => bool))`, but a rotation rewrites a re-appointed
    ///      signer's slot (2,900 gas) instead of filling a fresh one (22,100), and removed signers
    ///      fall out by the epoch bump alone.
    mapping(address signer => uint64 epoch) private _signerEpoch;

    mapping(address app => mapping(uint32 remoteEid => bytes32 remoteApp)) private _peers;

    mapping(address app => mapping(uint32 dstEid => mapping(bytes32 receiver => uint64 nonce))) private
        _outboundNonces;

    /// @dev Per guid: 0 never delivered, `_DELIVERED`, or keccak256 of the message whose app call
    ///      failed. One slot for replay protection and failure: recording a failure rewrites the
    ///      slot `deliver` just set (100 gas) instead of filling a second one (22,100).
    mapping(bytes32 guid => bytes32 status) private _inbound;

    /// @param localEid_ This chain's endpoint id.
    /// @param initialOwner The owner (a timelock outside development).
    /// @param initialGuardian The account that may pause besides the owner; zero for none.
    /// @param signers The first verifier set, strictly ascending (epoch 1).
    /// @param threshold How many of them must sign a packet.
    constructor(
        uint32 localEid_,
        address initialOwner,
        address initialGuardian,
        address[] memory signers,
        uint8 threshold
    ) Ownable(initialOwner) {
        localEid = localEid_;
        _setGuardian(initialGuardian);
        _setVerifierSet(signers, threshold);
    }

    // ---------------------------------------------------------------------------------------------
    // Messaging
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILoanbridgeEndpointSender
    /// @dev Not `nonReentrant`: an app answers from inside `onPacket` (the pool's `LOAN_ACTIVE`).
    function send(uint32 dstEid, bytes calldata message) external returns (bytes32 guid, uint64 nonce) {
        if (_paused) revert EndpointPaused();
        bytes32 receiver = _peers[msg.sender][dstEid];
        if (receiver == bytes32(0)) revert EndpointNoPeer(msg.sender, dstEid);

        // Cannot overflow: each send costs over 5,000 gas, so 2^64 of them would take ~10^23 gas.
        unchecked {
            nonce = ++_outboundNonces[msg.sender][dstEid][receiver];
        }
        bytes32 sender = EvmAddress.toBytes32(msg.sender);
        guid = PacketCodec.computeGuid(nonce, localEid, sender, dstEid, receiver);
        bytes memory packet = PacketCodec.encode(
            PacketCodec.Header({nonce: nonce, srcEid: localEid, sender: sender, dstEid: dstEid, receiver: receiver}),
            message
        );
        emit PacketSent(packet, guid, dstEid, msg.sender, nonce);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function deliver(bytes calldata packet, bytes calldata signatures) external nonReentrant {
        if (_paused) revert EndpointPaused();
        (PacketCodec.Header memory h, bytes32 guid, bytes calldata message) = PacketCodec.decode(packet);
        if (h.dstEid != localEid) revert EndpointWrongDestination(h.dstEid);
        address receiver = EvmAddress.toAddress(h.receiver);
        // An unset peer is zero, and a zero sender must not match it (Nomad: a default value
        // taken for a proof).
        bytes32 expectedSender = _peers[receiver][h.srcEid];
        if (expectedSender == bytes32(0) || expectedSender != h.sender) revert EndpointUnknownPeer(h.srcEid, h.sender);
        if (receiver.code.length == 0) revert EndpointReceiverNotContract(receiver);
        if (_inbound[guid] != bytes32(0)) revert EndpointAlreadyDelivered(guid);

        bytes32 digest = AttestationDigest.compute(_epoch, PacketCodec.header(packet), PacketCodec.payloadHash(packet));
        _verifySignatures(digest, signatures);

        _inbound[guid] = _DELIVERED;
        emit PacketDelivered(guid, h.srcEid, h.sender, receiver, h.nonce);

        // A stored failure must be the app's own, not the executor's choice of gas limit: the app
        // gets at least MIN_RECEIVE_GAS, and _FAILURE_GAS stays here to record a failure even if the
        // app burns everything it got. Above ~1.9M available, the 63/64 rule caps the call instead
        // and keeps more than _FAILURE_GAS back.
        uint256 available = gasleft();
        uint256 required = MIN_RECEIVE_GAS + _FAILURE_GAS;
        if (available < required) revert EndpointInsufficientGas(available, required);
        uint256 appGas;
        // Cannot underflow: available >= MIN_RECEIVE_GAS + _FAILURE_GAS (checked above).
        unchecked {
            appGas = available - _FAILURE_GAS;
        }
        try ILoanbridgeApp(receiver).onPacket{gas: appGas}(h.srcEid, h.sender, guid, message) {}
        catch (bytes memory reason) {
            _inbound[guid] = keccak256(message);
            emit PacketFailed(guid, reason);
        }
    }

    /// @inheritdoc ILoanbridgeEndpoint
    /// @dev The header is the delivered one (the guid binds it and `decode` checks the guid), so
    ///      peer, destination and signatures were checked at delivery and are not checked again.
    function retry(bytes calldata packet) external nonReentrant {
        if (_paused) revert EndpointPaused();
        (PacketCodec.Header memory h, bytes32 guid, bytes calldata message) = PacketCodec.decode(packet);
        bytes32 stored = _inbound[guid];
        if (stored == bytes32(0) || stored == _DELIVERED) revert EndpointNoFailedPacket(guid);
        bytes32 messageHash = keccak256(message);
        if (messageHash != stored) revert EndpointFailedMessageMismatch(guid, stored, messageHash);

        _inbound[guid] = _DELIVERED;
        ILoanbridgeApp(EvmAddress.toAddress(h.receiver)).onPacket(h.srcEid, h.sender, guid, message);
        emit PacketRetried(guid);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function delivered(bytes32 guid) external view returns (bool) {
        return _inbound[guid] != bytes32(0);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function failedPayloadHash(bytes32 guid) external view returns (bytes32) {
        bytes32 stored = _inbound[guid];
        return stored == _DELIVERED ? bytes32(0) : stored;
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function outboundNonce(address app, uint32 dstEid, bytes32 receiver) external view returns (uint64) {
        return _outboundNonces[app][dstEid][receiver];
    }

    // ---------------------------------------------------------------------------------------------
    // Peers
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILoanbridgeEndpoint
    function setPeer(address app, uint32 remoteEid, bytes32 remoteApp) external onlyOwner {
        _peers[app][remoteEid] = remoteApp;
        emit PeerSet(app, remoteEid, remoteApp);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function peer(address app, uint32 remoteEid) external view returns (bytes32) {
        return _peers[app][remoteEid];
    }

    // ---------------------------------------------------------------------------------------------
    // Verifier set
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILoanbridgeEndpoint
    function setVerifierSet(address[] calldata signers, uint8 threshold) external onlyOwner {
        _setVerifierSet(signers, threshold);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function verifierSet() external view returns (address[] memory signers, uint8 threshold, uint64 epoch) {
        return (_signers, _threshold, _epoch);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function isVerifier(address signer) external view returns (bool) {
        return _signerEpoch[signer] == _epoch;
    }

    // ---------------------------------------------------------------------------------------------
    // Pause and guardian
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILoanbridgeEndpoint
    function pause() external {
        if (msg.sender != _guardian && msg.sender != owner()) revert EndpointNotGuardian(msg.sender);
        if (_paused) revert EndpointPaused();
        _paused = true;
        emit Paused(msg.sender);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function unpause() external onlyOwner {
        if (!_paused) revert EndpointNotPaused();
        _paused = false;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function setGuardian(address newGuardian) external onlyOwner {
        _setGuardian(newGuardian);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function guardian() external view returns (address) {
        return _guardian;
    }

    // ---------------------------------------------------------------------------------------------
    // Ownership
    // ---------------------------------------------------------------------------------------------

    /// @notice Disabled: reverts `EndpointRenounceDisabled` for the owner
    ///         (`OwnableUnauthorizedAccount` for anyone else), so the endpoint always has an owner.
    /// @dev Renouncing would freeze the verifier set and peers and make a pause permanent.
    ///      Hand ownership over with `transferOwnership` and `acceptOwnership` instead.
    ///      `view` because it changes nothing (the compiler asks for it).
    function renounceOwnership() public view override onlyOwner {
        revert EndpointRenounceDisabled();
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Reverts unless `signatures` holds at least `_threshold` valid signatures of `digest` by
    ///      current verifiers, signers strictly ascending (which also rules out duplicates).
    function _verifySignatures(bytes32 digest, bytes calldata signatures) private view {
        if (signatures.length % _SIGNATURE_LENGTH != 0) revert EndpointInvalidSignaturesLength(signatures.length);
        uint256 count = signatures.length / _SIGNATURE_LENGTH;
        uint8 threshold = _threshold;
        if (count < threshold) revert EndpointBelowThreshold(count, threshold);

        uint64 epoch = _epoch;
        // Every verifier is nonzero, so any member is above the starting value.
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            bytes calldata signature;
            // Cannot overflow: i < count = signatures.length / 65, so (i + 1) * 65 <= signatures.length.
            unchecked {
                signature = signatures[i * _SIGNATURE_LENGTH:(i + 1) * _SIGNATURE_LENGTH];
            }
            // tryRecover rejects v other than 27/28, s in the upper half order and failed recovery.
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
            if (err != ECDSA.RecoverError.NoError) revert EndpointInvalidSignature(i);
            if (signer <= previous) revert EndpointSignersNotAscending(i, signer);
            if (_signerEpoch[signer] != epoch) revert EndpointSignerNotVerifier(i, signer);
            previous = signer;
        }
    }

    /// @dev Validates and stores a verifier set under the next epoch.
    function _setVerifierSet(address[] memory signers, uint8 threshold) private {
        uint256 count = signers.length;
        if (count > MAX_VERIFIERS) revert EndpointTooManyVerifiers(count, MAX_VERIFIERS);
        if (threshold == 0 || threshold > count) revert EndpointInvalidThreshold(threshold, count);

        uint64 epoch = _epoch + 1;
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert EndpointZeroVerifier(i);
            if (signer <= previous) revert EndpointVerifiersNotAscending(i, signer);
            _signerEpoch[signer] = epoch;
            previous = signer;
        }
        _signers = signers;
        _epoch = epoch;
        _threshold = threshold;
        emit VerifierSetChanged(epoch, signers, threshold);
    }

    /// @dev Replaces the guardian and emits `GuardianChanged`.
    function _setGuardian(address newGuardian) private {
        address previousGuardian = _guardian;
        _guardian = newGuardian;
        emit GuardianChanged(previousGuardian, newGuardian);
    }
}
