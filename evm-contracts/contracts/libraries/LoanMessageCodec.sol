// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title LoanMessageCodec
/// @notice Loan messages, as in shared/SPEC.md "Loan messages": version(1) ‖ type(1) ‖ fixed-width
///         big-endian fields, one fixed length per type.
/// @dev Decoders validate the whole message first (`messageType`), so every decoder raises the same
///      error for a malformed message; a well-formed message of another type raises
///      `UnexpectedMessageType`.
library LoanMessageCodec {
    /// @notice The message is shorter than 2 bytes, or than its type's length.
    /// @param length The message's length in bytes.
    error MessageTooShort(uint256 length);
    /// @notice The message is longer than its type's length.
    /// @param length The message's length in bytes.
    error MessageTooLong(uint256 length);
    /// @notice The message's version byte is not `MESSAGE_VERSION`.
    /// @param version The version byte found.
    error UnsupportedMessageVersion(uint8 version);
    /// @notice The message's type byte is not one of the six types.
    /// @param messageType The type byte found.
    error UnknownMessageType(uint8 messageType);
    /// @notice A reject reason outside 1..7, read from a `LOAN_REJECTED` or given to its encoder.
    /// @param reason The reason code.
    error UnknownRejectReason(uint8 reason);
    /// @notice A well-formed message was decoded as another type.
    /// @param expected The type the decoder reads.
    /// @param actual The message's type.
    error UnexpectedMessageType(uint8 expected, uint8 actual);

    /// @notice `OPEN_LOAN` (collateral chain to lending chain).
    /// @dev Any `installments` decodes; the vault and the pool refuse 0 and counts above the pool's
    ///      `maxInstallments` (shared/SPEC.md).
    struct OpenLoan {
        bytes32 loanId;
        bytes32 borrower;
        bytes32 recipient;
        bytes32 collateralAsset;
        uint128 collateralAmount;
        uint128 principal;
        uint32 maxRateBps;
        uint64 termSeconds;
        uint64 expiresAt;
        uint16 installments;
    }

    /// @notice `LOAN_ACTIVE` (lending chain to collateral chain).
    struct LoanActive {
        bytes32 loanId;
        uint128 principal;
        uint32 rateBps;
        uint64 startTime;
        uint64 dueTime;
    }

    /// @notice `LOAN_REJECTED` (lending chain to collateral chain; the vault refunds).
    struct LoanRejected {
        bytes32 loanId;
        uint8 reason;
    }

    /// @notice `REPAID` (lending chain to collateral chain; the vault releases to the borrower).
    struct Repaid {
        bytes32 loanId;
        uint128 amountRepaid;
    }

    /// @notice `DEFAULTED` and `LIQUIDATED` (lending chain to collateral chain; collateral to the
    ///         beneficiary): one layout, told apart by the type byte.
    struct Seizure {
        bytes32 loanId;
        uint128 outstanding;
        bytes32 beneficiary;
    }

    uint8 internal constant MESSAGE_VERSION = 2;

    uint8 internal constant OPEN_LOAN = 1;
    uint8 internal constant LOAN_ACTIVE = 2;
    uint8 internal constant LOAN_REJECTED = 3;
    uint8 internal constant REPAID = 4;
    uint8 internal constant DEFAULTED = 5;
    uint8 internal constant LIQUIDATED = 6;

    uint256 internal constant OPEN_LOAN_LENGTH = 184;
    uint256 internal constant LOAN_ACTIVE_LENGTH = 70;
    uint256 internal constant LOAN_REJECTED_LENGTH = 35;
    uint256 internal constant REPAID_LENGTH = 50;
    /// @dev The length of `DEFAULTED` and of `LIQUIDATED`.
    uint256 internal constant SEIZURE_LENGTH = 82;

    uint8 internal constant REASON_INSUFFICIENT_LIQUIDITY = 1;
    uint8 internal constant REASON_LTV_TOO_HIGH = 2;
    uint8 internal constant REASON_RATE_ABOVE_MAX = 3;
    uint8 internal constant REASON_UNSUPPORTED_COLLATERAL = 4;
    uint8 internal constant REASON_EXPIRED = 5;
    uint8 internal constant REASON_PAUSED = 6;
    uint8 internal constant REASON_INVALID_TERMS = 7;

    /// @dev Byte `t` (from the right) holds the length of type `t`; bytes 0 and 7.. are 0:
    ///      LIQUIDATED 0x52 (82), DEFAULTED 0x52 (82), REPAID 0x32 (50), LOAN_REJECTED 0x23 (35),
    ///      LOAN_ACTIVE 0x46 (70), OPEN_LOAN 0xb8 (184). A literal because solc 0.8.28 evaluates a
    ///      constant expression (shifts of the *_LENGTH constants) at every use, ~750 gas here.
    uint256 private constant _LENGTHS = 0x52_52_32_23_46_b8_00;

    /// @dev Offset of the reject reason in `LOAN_REJECTED`.
    uint256 private constant _REASON_OFFSET = 34;

    // ---------------------------------------------------------------------------------------------
    // Validation
    // ---------------------------------------------------------------------------------------------

    /// @notice Validates a message completely and returns its type.
    /// @dev Reverts, checking in the spec's order: `MessageTooShort` (under 2 bytes),
    ///      `UnsupportedMessageVersion`, `UnknownMessageType`, `MessageTooShort` / `MessageTooLong`
    ///      (against the type's length), `UnknownRejectReason`.
    /// @param message The encoded message.
    /// @return msgType The message's type, 1..6; the message then decodes with that type's decoder.
    function messageType(bytes calldata message) internal pure returns (uint8 msgType) {
        uint256 length = message.length;
        if (length < 2) revert MessageTooShort(length);
        uint256 first = _word(message, 0);
        uint8 version = uint8(first >> 248);
        if (version != MESSAGE_VERSION) revert UnsupportedMessageVersion(version);
        msgType = uint8(first >> 240);
        uint256 expected = messageLength(msgType);
        if (length < expected) revert MessageTooShort(length);
        if (length > expected) revert MessageTooLong(length);
        if (msgType == LOAN_REJECTED) _checkReason(uint8(_word(message, _REASON_OFFSET) >> 248));
    }

    /// @notice The encoded length of a message type.
    /// @dev Reverts `UnknownMessageType` unless `msgType` is 1..6.
    /// @param msgType The type code.
    /// @return The type's length in bytes, version and type bytes included.
    function messageLength(uint8 msgType) internal pure returns (uint256) {
        if (msgType == 0 || msgType > LIQUIDATED) revert UnknownMessageType(msgType);
        return (_LENGTHS >> (8 * uint256(msgType))) & 0xff;
    }

    // ---------------------------------------------------------------------------------------------
    // Decoders
    // ---------------------------------------------------------------------------------------------

    /// @notice Decodes an `OPEN_LOAN`.
    /// @dev Reverts as `messageType` does, then `UnexpectedMessageType` for another type.
    /// @param message The encoded message.
    /// @return m The fields.
    function decodeOpenLoan(bytes calldata message) internal pure returns (OpenLoan memory m) {
        _expectType(message, OPEN_LOAN);
        m.loanId = bytes32(_word(message, 2));
        m.borrower = bytes32(_word(message, 34));
        m.recipient = bytes32(_word(message, 66));
        m.collateralAsset = bytes32(_word(message, 98));
        m.collateralAmount = uint128(_word(message, 130) >> 128);
        m.principal = uint128(_word(message, 146) >> 128);
        m.maxRateBps = uint32(_word(message, 162) >> 224);
        m.termSeconds = uint64(_word(message, 166) >> 192);
        m.expiresAt = uint64(_word(message, 174) >> 192);
        m.installments = uint16(_word(message, 182) >> 240);
    }

    /// @notice Decodes a `LOAN_ACTIVE`.
    /// @dev Reverts as `messageType` does, then `UnexpectedMessageType` for another type.
    /// @param message The encoded message.
    /// @return m The fields.
    function decodeLoanActive(bytes calldata message) internal pure returns (LoanActive memory m) {
        _expectType(message, LOAN_ACTIVE);
        m.loanId = bytes32(_word(message, 2));
        m.principal = uint128(_word(message, 34) >> 128);
        m.rateBps = uint32(_word(message, 50) >> 224);
        m.startTime = uint64(_word(message, 54) >> 192);
        m.dueTime = uint64(_word(message, 62) >> 192);
    }

    /// @notice Decodes a `LOAN_REJECTED`.
    /// @dev Reverts as `messageType` does (so the reason is 1..7), then `UnexpectedMessageType`.
    /// @param message The encoded message.
    /// @return m The fields.
    function decodeLoanRejected(bytes calldata message) internal pure returns (LoanRejected memory m) {
        _expectType(message, LOAN_REJECTED);
        m.loanId = bytes32(_word(message, 2));
        m.reason = uint8(_word(message, _REASON_OFFSET) >> 248);
    }

    /// @notice Decodes a `REPAID`.
    /// @dev Reverts as `messageType` does, then `UnexpectedMessageType` for another type.
    /// @param message The encoded message.
    /// @return m The fields.
    function decodeRepaid(bytes calldata message) internal pure returns (Repaid memory m) {
        _expectType(message, REPAID);
        m.loanId = bytes32(_word(message, 2));
        m.amountRepaid = uint128(_word(message, 34) >> 128);
    }

    /// @notice Decodes a `DEFAULTED`.
    /// @dev Reverts as `messageType` does, then `UnexpectedMessageType` for another type.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeDefaulted(bytes calldata message) internal pure returns (Seizure memory) {
        _expectType(message, DEFAULTED);
        return _readSeizure(message);
    }

    /// @notice Decodes a `LIQUIDATED`.
    /// @dev Reverts as `messageType` does, then `UnexpectedMessageType` for another type.
    /// @param message The encoded message.
    /// @return The fields.
    function decodeLiquidated(bytes calldata message) internal pure returns (Seizure memory) {
        _expectType(message, LIQUIDATED);
        return _readSeizure(message);
    }

    // ---------------------------------------------------------------------------------------------
    // Encoders
    // ---------------------------------------------------------------------------------------------

    /// @notice Encodes an `OPEN_LOAN`.
    /// @param m The fields.
    /// @return The 184-byte message.
    function encodeOpenLoan(OpenLoan memory m) internal pure returns (bytes memory) {
        return abi.encodePacked(
            MESSAGE_VERSION,
            OPEN_LOAN,
            m.loanId,
            m.borrower,
            m.recipient,
            m.collateralAsset,
            m.collateralAmount,
            m.principal,
            m.maxRateBps,
            m.termSeconds,
            m.expiresAt,
            m.installments
        );
    }

    /// @notice Encodes a `LOAN_ACTIVE`.
    /// @param m The fields.
    /// @return The 70-byte message.
    function encodeLoanActive(LoanActive memory m) internal pure returns (bytes memory) {
        return abi.encodePacked(MESSAGE_VERSION, LOAN_ACTIVE, m.loanId, m.principal, m.rateBps, m.startTime, m.dueTime);
    }

    /// @notice Encodes a `LOAN_REJECTED`.
    /// @dev Reverts `UnknownRejectReason` unless the reason is 1..7, as the decoder would.
    /// @param m The fields.
    /// @return The 35-byte message.
    function encodeLoanRejected(LoanRejected memory m) internal pure returns (bytes memory) {
        _checkReason(m.reason);
        return abi.encodePacked(MESSAGE_VERSION, LOAN_REJECTED, m.loanId, m.reason);
    }

    /// @notice Encodes a `REPAID`.
    /// @param m The fields.
    /// @return The 50-byte message.
    function encodeRepaid(Repaid memory m) internal pure returns (bytes memory) {
        return abi.encodePacked(MESSAGE_VERSION, REPAID, m.loanId, m.amountRepaid);
    }

    /// @notice Encodes a `DEFAULTED`.
    /// @param m The fields.
    /// @return The 82-byte message.
    function encodeDefaulted(Seizure memory m) internal pure returns (bytes memory) {
        return abi.encodePacked(MESSAGE_VERSION, DEFAULTED, m.loanId, m.outstanding, m.beneficiary);
    }

    /// @notice Encodes a `LIQUIDATED`.
    /// @param m The fields.
    /// @return The 82-byte message.
    function encodeLiquidated(Seizure memory m) internal pure returns (bytes memory) {
        return abi.encodePacked(MESSAGE_VERSION, LIQUIDATED, m.loanId, m.outstanding, m.beneficiary);
    }

    // ---------------------------------------------------------------------------------------------
    // Private helpers
    // ---------------------------------------------------------------------------------------------

    /// @dev Validates the message, then requires it to be of type `expected`.
    function _expectType(bytes calldata message, uint8 expected) private pure {
        uint8 actual = messageType(message);
        if (actual != expected) revert UnexpectedMessageType(expected, actual);
    }

    /// @dev Reverts `UnknownRejectReason` unless `reason` is 1..7.
    function _checkReason(uint8 reason) private pure {
        if (reason == 0 || reason > REASON_INVALID_TERMS) revert UnknownRejectReason(reason);
    }

    /// @dev The `DEFAULTED` / `LIQUIDATED` fields of a validated message.
    function _readSeizure(bytes calldata message) private pure returns (Seizure memory m) {
        m.loanId = bytes32(_word(message, 2));
        m.outstanding = uint128(_word(message, 34) >> 128);
        m.beneficiary = bytes32(_word(message, 50));
    }

    /// @dev The 32 bytes of calldata at `message[offset]`. Callers read fields at fixed offsets of a
    ///      message whose length they have checked, and shift away bytes past the field.
    function _word(bytes calldata message, uint256 offset) private pure returns (uint256 word) {
        // Safe: calldataload only reads; bytes past the end of calldata read as zero, and every
        // caller keeps only bytes inside the message (offset + field size <= checked length).
        assembly ("memory-safe") {
            word := calldataload(add(message.offset, offset))
        }
    }
}
