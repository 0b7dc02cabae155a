// The slice of the Endpoint ABI the relayer uses, written out so the relayer
// does not need the contracts' build output at run time. A chain test checks
// every error and event here against the compiled artifact (same selectors),
// and that every error the artifact declares is here, so a revert always
// decodes to a name.
import { Interface } from "ethers";

export const ENDPOINT_ABI = [
  "function localEid() view returns (uint32)",
  "function deliver(bytes packet, bytes signatures)",
  "function delivered(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce) view returns (bool)",
  "function failedPayloadHash(bytes32 guid) view returns (bytes32)",
  "function verifierSet() view returns (address[] signers, uint8 threshold, uint64 epoch)",
  "function outboundNonce(address app, uint32 dstEid, bytes32 receiver) view returns (uint64)",
  "function peer(address app, uint32 remoteEid) view returns (bytes32)",
  "event PacketSent(bytes packet, bytes32 indexed guid, uint32 indexed dstEid, address indexed sender, uint64 nonce)",
  "event PacketDelivered(bytes32 indexed guid, uint32 indexed srcEid, bytes32 sender, address indexed receiver, uint64 nonce)",
  "event PacketFailed(bytes32 indexed guid, bytes reason)",
  "error EndpointAlreadyDelivered(bytes32 guid)",
  "error EndpointBelowThreshold(uint256 count, uint8 threshold)",
  "error EndpointFailedMessageMismatch(bytes32 guid, bytes32 storedHash, bytes32 messageHash)",
  "error EndpointInsufficientGas(uint256 available, uint256 required)",
  "error EndpointInvalidSignature(uint256 index)",
  "error EndpointInvalidSignaturesLength(uint256 length)",
  "error EndpointInvalidThreshold(uint8 threshold, uint256 count)",
  "error EndpointNoFailedPacket(bytes32 guid)",
  "error EndpointNoPeer(address app, uint32 dstEid)",
  "error EndpointNotGuardian(address caller)",
  "error EndpointNotPaused()",
  "error EndpointPaused()",
  "error EndpointReceiverNotContract(address receiver)",
  "error EndpointRenounceDisabled()",
  "error EndpointRetryNotApproved(bytes32 guid, uint64 deliveredEpoch, uint64 currentEpoch)",
  "error EndpointRetryPeerChanged(bytes32 guid, bytes32 sender, bytes32 currentPeer)",
  "error EndpointSignerNotVerifier(uint256 index, address signer)",
  "error EndpointSignersNotAscending(uint256 index, address signer)",
  "error EndpointTooManyVerifiers(uint256 count, uint256 max)",
  "error EndpointUnknownPeer(uint32 srcEid, bytes32 sender)",
  "error EndpointVerifiersNotAscending(uint256 index, address signer)",
  "error EndpointWrongDestination(uint32 dstEid)",
  "error EndpointZeroVerifier(uint256 index)",
  "error GuidMismatch(bytes32 expected, bytes32 actual)",
  "error InvalidHeaderLength(uint256 length)",
  "error NotAnEvmAddress(bytes32 value)",
  "error OwnableInvalidOwner(address owner)",
  "error OwnableUnauthorizedAccount(address account)",
  "error PacketTooShort(uint256 length)",
  "error ReentrancyGuardReentrantCall()",
  "error UnsupportedPacketVersion(uint8 version)",
] as const;

export const endpointInterface = new Interface(ENDPOINT_ABI);
