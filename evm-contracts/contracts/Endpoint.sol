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
///      signature for membership, one for the peer, and one word of the path's delivered-nonce
///      bitmap, which it rewrites: a nonzero-to-nonzero write for 255 of every 256 nonces.
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
    ///      message, fill the two slots of its `_failures` entry, emit `PacketFailed`) even if the
    ///      app burns all it got.
    uint256 private constant _FAILURE_GAS = 75_000;

    /// @dev One signature: r (32) ‖ s (32) ‖ v (1).
    uint256 private constant _SIGNATURE_LENGTH = 65;

    /// @dev How many nonces one word of a path's delivered-nonce bitmap covers (one bit each).
    uint256 private constant _NONCES_PER_WORD = 256;

    /// @dev A stored failure, in two slots: keccak256 of the message whose app call failed (never
    ///      zero for a stored one: zero means none), the verifier epoch whose signatures delivered
    ///      it, and the epoch the owner last re-approved it under with `approveRetry` (zero if
    ///      never). Where it came from needs no slot: the guid binds the header, and `retry`
    ///      checks the packet it is given against the guid.
    struct Failure {
        bytes32 messageHash;
        uint64 epoch;
        uint64 approvedEpoch;
    }

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

    /// @dev Replay protection: per path (receiver, source eid, source app, keyed in LayerZero's
    ///      `inboundPayloadHash` order), one bit per nonce, 256 nonces a word (Permit2's unordered
    ///      nonces). Nonces may be delivered in any order; only the first of a word's nonces fills
    ///      a fresh slot (22,100 gas), the others set a bit in a word already nonzero (5,000 with
    ///      its cold read).
    mapping(
        address receiver => mapping(uint32 srcEid => mapping(bytes32 sender => mapping(uint256 word => uint256 bits)))
    ) private _deliveredNonces;

    /// @dev Per stored failure: what `retry` must be given and under which epoch it may run. Only
    ///      a failing delivery pays for these slots.
    mapping(bytes32 guid => Failure) private _failures;

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
    /// @dev Works while paused: a pause stops what comes in, never what local users do here
    ///      (a completing repayment must still send `REPAID`, or the pause runs out the
    ///      borrower's clock). The packet waits in the log until the destination delivers it.
    function send(uint32 dstEid, bytes calldata message) external returns (bytes32 guid, uint64 nonce) {
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
        // Marked before the signatures are checked: a failed check reverts the mark with the rest.
        _markDelivered(receiver, h.srcEid, h.sender, h.nonce, guid);
        _verifyAttestation(packet, signatures);
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
            // Under which epoch it was delivered: `retry` executes it only while a delivery would
            // still be accepted (same peer, same epoch or re-approved).
            _failures[guid] = Failure({messageHash: keccak256(message), epoch: _epoch, approvedEpoch: 0});
            emit PacketFailed(guid, reason);
        }
    }

    /// @inheritdoc ILoanbridgeEndpoint
    /// @dev The header is the delivered one (the guid binds it and `decode` checks the guid), so
    ///      destination and receiver were checked at delivery. What may have changed since is
    ///      checked again: the receiver's peer on `srcEid`, and the verifier set (a retired set's
    ///      attestation counts only if the owner re-approved it under the current epoch).
    function retry(bytes calldata packet) external nonReentrant {
        if (_paused) revert EndpointPaused();
        (PacketCodec.Header memory h, bytes32 guid, bytes calldata message) = PacketCodec.decode(packet);
        Failure memory failure = _failures[guid];
        if (failure.messageHash == bytes32(0)) revert EndpointNoFailedPacket(guid);
        bytes32 messageHash = keccak256(message);
        if (messageHash != failure.messageHash) {
            revert EndpointFailedMessageMismatch(guid, failure.messageHash, messageHash);
        }
        address receiver = EvmAddress.toAddress(h.receiver);
        bytes32 currentPeer = _peers[receiver][h.srcEid];
        if (currentPeer != h.sender) revert EndpointRetryPeerChanged(guid, h.sender, currentPeer);
        uint64 epoch = _epoch;
        if (failure.epoch != epoch && failure.approvedEpoch != epoch) {
            revert EndpointRetryNotApproved(guid, failure.epoch, epoch);
        }

        delete _failures[guid];
        ILoanbridgeApp(receiver).onPacket(h.srcEid, h.sender, guid, message);
        emit PacketRetried(guid);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function approveRetry(bytes32 guid) external onlyOwner {
        Failure storage failure = _failures[guid];
        if (failure.messageHash == bytes32(0)) revert EndpointNoFailedPacket(guid);
        uint64 epoch = _epoch;
        failure.approvedEpoch = epoch;
        emit RetryApproved(guid, epoch);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function clearFailure(bytes32 guid) external onlyOwner {
        bytes32 messageHash = _failures[guid].messageHash;
        if (messageHash == bytes32(0)) revert EndpointNoFailedPacket(guid);
        delete _failures[guid];
        emit FailureCleared(guid, messageHash);
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function delivered(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce) external view returns (bool) {
        uint256 bits = _deliveredNonces[receiver][srcEid][sender][nonce / _NONCES_PER_WORD];
        return bits & (uint256(1) << (nonce % _NONCES_PER_WORD)) != 0;
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function failedPayloadHash(bytes32 guid) external view returns (bytes32) {
        return _failures[guid].messageHash;
    }

    /// @inheritdoc ILoanbridgeEndpoint
    function storedFailure(bytes32 guid) external view returns (StoredFailure memory) {
        Failure memory failure = _failures[guid];
        return StoredFailure({
            messageHash: failure.messageHash,
            epoch: failure.epoch,
            approvedEpoch: failure.approvedEpoch
        });
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

    /// @inheritdoc ILoanbridgeEndpointSender
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

    /// @dev Reverts unless `signatures` holds at least `_threshold` valid signatures by current
    ///      verifiers of the packet's attestation digest for this endpoint, signers strictly
    ///      ascending (which also rules out duplicates). Binding this endpoint's address makes an
    ///      attestation good on this deployment only, even where another shares the eid, apps and
    ///      verifier set.
    function _verifyAttestation(bytes calldata packet, bytes calldata signatures) private view {
        bytes32 digest = AttestationDigest.compute(
            EvmAddress.toBytes32(address(this)), _epoch, PacketCodec.header(packet), PacketCodec.payloadHash(packet)
        );
        if (signatures.length % _SIGNATURE_LENGTH != 0) revert EndpointInvalidSignaturesLength(signatures.length);
        uint256 count = signatures.length / _SIGNATURE_LENGTH;
        uint8 threshold = _threshold;
        if (count < threshold) revert EndpointBelowThreshold(count, threshold);

        uint64 epoch = _epoch;
        // Every verifier is nonzero, so any member is above the starting value.
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            // Reads signature i as ECDSA.tryRecoverCalldata does, without a bounds-checked slice
            // (~240 gas a signature): i < count = signatures.length / 65, so all 65 bytes are in
            // `signatures`.
            assembly ("memory-safe") {
                let at := add(signatures.offset, mul(i, _SIGNATURE_LENGTH))
                r := calldataload(at)
                s := calldataload(add(at, 0x20))
                v := byte(0, calldataload(add(at, 0x40)))
            }
            // tryRecover rejects s in the upper half order and failed recovery (v other than 27/28).
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            if (err != ECDSA.RecoverError.NoError) revert EndpointInvalidSignature(i);
            if (signer <= previous) revert EndpointSignersNotAscending(i, signer);
            if (_signerEpoch[signer] != epoch) revert EndpointSignerNotVerifier(i, signer);
            previous = signer;
        }
    }

    /// @dev Sets the nonce's bit in its path's bitmap; reverts `EndpointAlreadyDelivered` if set.
    function _markDelivered(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce, bytes32 guid) private {
        mapping(uint256 word => uint256 bits) storage bitmap = _deliveredNonces[receiver][srcEid][sender];
        uint256 word = nonce / _NONCES_PER_WORD;
        uint256 bits = bitmap[word];
        uint256 bit = uint256(1) << (nonce % _NONCES_PER_WORD);
        if (bits & bit != 0) revert EndpointAlreadyDelivered(guid);
        bitmap[word] = bits | bit;
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
