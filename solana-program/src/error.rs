use pinocchio::error::ProgramError;

/// Errors the program returns as `ProgramError::Custom(code)`. What each
/// means (the IDL's `msg`) is its entry in [`ERRORS`], the one list of all
/// variants.
///
/// Clients see only the number, so a code never changes meaning once
/// released: add new variants at the end of their group with the next free
/// code. Groups: 0–19 instruction data and accounts, 20–59 endpoint, 60–99
/// collateral vault, 200–259 lending pool. Codes 100–199 are reserved for
/// wire-format errors (`crate::wire::WireError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LoanbridgeError {
    // --- instruction data and accounts (0–19) ---------------------------------
    UnknownInstruction = 0,
    InvalidInstructionData = 1,
    MissingSignature = 2,
    AccountNotWritable = 3,
    InvalidAccountOwner = 4,
    InvalidAccountData = 5,
    InvalidPda = 6,
    InvalidProgramAccount = 7,
    AccountAlreadyInitialized = 8,
    InvalidTokenAccount = 9,
    Unauthorized = 10,
    ArithmeticOverflow = 11,
    AmountTooLarge = 12,
    InvalidMint = 13,

    // --- endpoint (20–59) -----------------------------------------------------
    EndpointPaused = 20,
    EndpointNotPaused = 21,
    NotGuardian = 22,
    InvalidVerifierSet = 23,
    VerifiersNotAscending = 24,
    WrongDestination = 25,
    UnknownReceiver = 26,
    UnknownPeer = 27,
    InvalidInstructionsSysvar = 28,
    MissingEd25519Instruction = 29,
    InvalidEd25519Instruction = 30,
    Ed25519OffsetsNotInSameInstruction = 31,
    WrongAttestedMessage = 32,
    DuplicateSigner = 33,
    SignerNotVerifier = 34,
    BelowThreshold = 35,
    AlreadyDelivered = 36,
    NoPeer = 37,
    InvalidPeer = 38,
    NotPendingAdmin = 39,
    InvalidEid = 40,
    PacketLoanNotFinal = 41,
    PacketTooYoung = 42,
    WrongRentRecipient = 43,

    // --- collateral vault (60–99) ---------------------------------------------
    VaultUnexpectedSource = 60,
    VaultUnexpectedMessageType = 61,
    VaultUnexpectedLoanState = 62,
    VaultZeroCollateral = 63,
    VaultZeroPrincipal = 64,
    VaultZeroRecipient = 65,
    VaultAssetNotAllowed = 66,
    // 67 was `VaultRefundTooEarly` of the retired timeout refund: never reuse.
    VaultInvalidBeneficiary = 68,
    VaultZeroRequestTtl = 69,
    VaultWrongPayoutAccount = 70,
    VaultCollateralBelowRentMinimum = 71,
    VaultLoanMismatch = 72,
    VaultInvalidExpiry = 73,
    VaultZeroInstallments = 74,

    // --- lending pool (200–259) -----------------------------------------------
    PoolLoanExists = 200,
    PoolLoanNotActive = 201,
    PoolZeroRepayment = 202,
    PoolLoanNotOverdue = 203,
    PoolLoanHealthy = 204,
    PoolCollateralNotConfigured = 205,
    PoolPriceUnavailable = 206,
    PoolBeneficiaryNotSet = 207,
    PoolInvalidLtv = 208,
    PoolInvalidTermRange = 209,
    PoolPaused = 210,
    PoolNotPaused = 211,
    PoolZeroAmount = 212,
    PoolInsufficientLiquidity = 213,
    PoolUnexpectedMessageType = 214,
    PoolWrongCollateralAccount = 215,
    PoolWrongRecipientAccount = 216,
    PoolLoanMismatch = 217,
    PoolCancelTooEarly = 218,
    PoolRateTooHigh = 219,
    PoolInvalidDueBucket = 220,
    PoolMaxTermAboveBucketRing = 221,
    PoolInvalidInstallmentTerms = 222,
}

/// A variant with the name and message the IDL gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorDef {
    pub error: LoanbridgeError,
    /// The variant's name (`tests/idl.rs` checks it against `Debug`).
    pub name: &'static str,
    /// What the error means, for clients and the IDL.
    pub msg: &'static str,
}

impl ErrorDef {
    const fn new(error: LoanbridgeError, name: &'static str, msg: &'static str) -> Self {
        ErrorDef { error, name, msg }
    }
}

/// Every error with its IDL name and message, in code order.
///
/// The one place besides the enum that lists the variants: `tests/idl.rs`
/// renders the IDL's `errors` from it (clients read messages from there)
/// and checks each name against the variant's `Debug`.
pub const ERRORS: &[ErrorDef] = {
    use LoanbridgeError as E;
    &[
        ErrorDef::new(
            E::UnknownInstruction,
            "UnknownInstruction",
            "The instruction data is empty or names no known instruction.",
        ),
        ErrorDef::new(
            E::InvalidInstructionData,
            "InvalidInstructionData",
            "The instruction data has the wrong length or content for its instruction.",
        ),
        ErrorDef::new(
            E::MissingSignature,
            "MissingSignature",
            "An account that must sign did not.",
        ),
        ErrorDef::new(
            E::AccountNotWritable,
            "AccountNotWritable",
            "An account that must be writable is not.",
        ),
        ErrorDef::new(
            E::InvalidAccountOwner,
            "InvalidAccountOwner",
            "An account is not owned by the program it must belong to.",
        ),
        ErrorDef::new(
            E::InvalidAccountData,
            "InvalidAccountData",
            "An account's data is not the layout it must hold (size, discriminator, version).",
        ),
        ErrorDef::new(
            E::InvalidPda,
            "InvalidPda",
            "An account is not at the program-derived address its seeds give.",
        ),
        ErrorDef::new(
            E::InvalidProgramAccount,
            "InvalidProgramAccount",
            "The system, token or another fixed program account is not that program.",
        ),
        ErrorDef::new(
            E::AccountAlreadyInitialized,
            "AccountAlreadyInitialized",
            "An account the instruction creates already exists.",
        ),
        ErrorDef::new(
            E::InvalidTokenAccount,
            "InvalidTokenAccount",
            "A token account has the wrong mint or owner.",
        ),
        ErrorDef::new(
            E::Unauthorized,
            "Unauthorized",
            "The signer is not the admin.",
        ),
        ErrorDef::new(
            E::ArithmeticOverflow,
            "ArithmeticOverflow",
            "Checked arithmetic overflowed.",
        ),
        ErrorDef::new(
            E::AmountTooLarge,
            "AmountTooLarge",
            "An amount that must move on Solana does not fit a `u64`.",
        ),
        ErrorDef::new(
            E::InvalidMint,
            "InvalidMint",
            "A mint has the wrong authority, decimals or state.",
        ),
        ErrorDef::new(
            E::EndpointPaused,
            "EndpointPaused",
            "The endpoint is paused: nothing is delivered (sending goes on).",
        ),
        ErrorDef::new(
            E::EndpointNotPaused,
            "EndpointNotPaused",
            "`Unpause` on an endpoint that is not paused.",
        ),
        ErrorDef::new(
            E::NotGuardian,
            "NotGuardian",
            "`Pause` by a signer that is neither the admin nor the guardian.",
        ),
        ErrorDef::new(
            E::InvalidVerifierSet,
            "InvalidVerifierSet",
            "A verifier set with no keys, more than 16, or a threshold outside 1..=n.",
        ),
        ErrorDef::new(
            E::VerifiersNotAscending,
            "VerifiersNotAscending",
            "Verifier keys are not strictly ascending (or one is all zero).",
        ),
        ErrorDef::new(
            E::WrongDestination,
            "WrongDestination",
            "The packet's `dstEid` is not this endpoint's.",
        ),
        ErrorDef::new(
            E::UnknownReceiver,
            "UnknownReceiver",
            "The packet's receiver is neither the vault nor the pool.",
        ),
        ErrorDef::new(
            E::UnknownPeer,
            "UnknownPeer",
            "No peer is registered for (receiver, srcEid), or the sender is not it.",
        ),
        ErrorDef::new(
            E::InvalidInstructionsSysvar,
            "InvalidInstructionsSysvar",
            "The instructions sysvar account is not `Sysvar1nstructions1111…`.",
        ),
        ErrorDef::new(
            E::MissingEd25519Instruction,
            "MissingEd25519Instruction",
            "The instruction before `Deliver` is not an Ed25519 precompile call.",
        ),
        ErrorDef::new(
            E::InvalidEd25519Instruction,
            "InvalidEd25519Instruction",
            "The Ed25519 instruction's data is malformed or an offset is out of bounds.",
        ),
        ErrorDef::new(
            E::Ed25519OffsetsNotInSameInstruction,
            "Ed25519OffsetsNotInSameInstruction",
            "An Ed25519 signature, key or message lives in another instruction.",
        ),
        ErrorDef::new(
            E::WrongAttestedMessage,
            "WrongAttestedMessage",
            "A signed message is not this packet's attestation digest.",
        ),
        ErrorDef::new(
            E::DuplicateSigner,
            "DuplicateSigner",
            "Two signatures by the same verifier.",
        ),
        ErrorDef::new(
            E::SignerNotVerifier,
            "SignerNotVerifier",
            "A signature by a key outside the current verifier set.",
        ),
        ErrorDef::new(
            E::BelowThreshold,
            "BelowThreshold",
            "Fewer valid signatures than the threshold.",
        ),
        ErrorDef::new(
            E::AlreadyDelivered,
            "AlreadyDelivered",
            "The packet's nonce was delivered before on its path (its guid with it).",
        ),
        ErrorDef::new(
            E::NoPeer,
            "NoPeer",
            "`send` for an app with no peer on the destination.",
        ),
        ErrorDef::new(
            E::InvalidPeer,
            "InvalidPeer",
            "`SetPeer` for an app other than the vault or the pool, or a zero eid.",
        ),
        ErrorDef::new(
            E::NotPendingAdmin,
            "NotPendingAdmin",
            "`AcceptAdmin` by a signer that is not the pending admin.",
        ),
        ErrorDef::new(E::InvalidEid, "InvalidEid", "A zero local endpoint id."),
        ErrorDef::new(
            E::PacketLoanNotFinal,
            "PacketLoanNotFinal",
            "`ClosePacket` for a packet whose loan is not final on this chain.",
        ),
        ErrorDef::new(
            E::PacketTooYoung,
            "PacketTooYoung",
            "`ClosePacket` before the packet is `MIN_PACKET_AGE_SECONDS` old.",
        ),
        ErrorDef::new(
            E::WrongRentRecipient,
            "WrongRentRecipient",
            "`ClosePacket` paying the rent to another account than the packet's payer.",
        ),
        ErrorDef::new(
            E::VaultUnexpectedSource,
            "VaultUnexpectedSource",
            "A message from another chain than the vault's lending chain.",
        ),
        ErrorDef::new(
            E::VaultUnexpectedMessageType,
            "VaultUnexpectedMessageType",
            "A message type the vault never handles (`OPEN_LOAN`).",
        ),
        ErrorDef::new(
            E::VaultUnexpectedLoanState,
            "VaultUnexpectedLoanState",
            "The loan is not in the state the message or refund needs.",
        ),
        ErrorDef::new(
            E::VaultZeroCollateral,
            "VaultZeroCollateral",
            "Opening with zero collateral.",
        ),
        ErrorDef::new(
            E::VaultZeroPrincipal,
            "VaultZeroPrincipal",
            "Opening with zero principal.",
        ),
        ErrorDef::new(
            E::VaultZeroRecipient,
            "VaultZeroRecipient",
            "Opening with a zero recipient.",
        ),
        ErrorDef::new(
            E::VaultAssetNotAllowed,
            "VaultAssetNotAllowed",
            "Opening with a token not on the allow-list.",
        ),
        ErrorDef::new(
            E::VaultInvalidBeneficiary,
            "VaultInvalidBeneficiary",
            "`DEFAULTED`/`LIQUIDATED` naming a zero (or the vault's own) beneficiary.",
        ),
        ErrorDef::new(
            E::VaultZeroRequestTtl,
            "VaultZeroRequestTtl",
            "A zero request time-to-live.",
        ),
        ErrorDef::new(
            E::VaultWrongPayoutAccount,
            "VaultWrongPayoutAccount",
            "The payout account is not the borrower or beneficiary.",
        ),
        ErrorDef::new(
            E::VaultCollateralBelowRentMinimum,
            "VaultCollateralBelowRentMinimum",
            "Native collateral below the rent-exempt minimum of an empty account.",
        ),
        ErrorDef::new(
            E::VaultLoanMismatch,
            "VaultLoanMismatch",
            "The loan account does not belong to the message's loan id.",
        ),
        ErrorDef::new(
            E::VaultInvalidExpiry,
            "VaultInvalidExpiry",
            "An open's `expires_at` not in `(now, now + request_ttl]`.",
        ),
        ErrorDef::new(
            E::VaultZeroInstallments,
            "VaultZeroInstallments",
            "An open with zero installments (1 is a bullet loan).",
        ),
        ErrorDef::new(
            E::PoolLoanExists,
            "PoolLoanExists",
            "An `OPEN_LOAN` for a loan id the pool already knows.",
        ),
        ErrorDef::new(
            E::PoolLoanNotActive,
            "PoolLoanNotActive",
            "Repaying, defaulting or liquidating a loan that is not active.",
        ),
        ErrorDef::new(E::PoolZeroRepayment, "PoolZeroRepayment", "Repaying zero."),
        ErrorDef::new(
            E::PoolLoanNotOverdue,
            "PoolLoanNotOverdue",
            "Declaring a default before `dueTime + gracePeriodSeconds`.",
        ),
        ErrorDef::new(
            E::PoolLoanHealthy,
            "PoolLoanHealthy",
            "Liquidating a loan within its liquidation threshold.",
        ),
        ErrorDef::new(
            E::PoolCollateralNotConfigured,
            "PoolCollateralNotConfigured",
            "Liquidating a loan whose collateral is no longer configured.",
        ),
        ErrorDef::new(
            E::PoolPriceUnavailable,
            "PoolPriceUnavailable",
            "Liquidating without a fresh price.",
        ),
        ErrorDef::new(
            E::PoolBeneficiaryNotSet,
            "PoolBeneficiaryNotSet",
            "A default or liquidation with no beneficiary for the loan's chain.",
        ),
        ErrorDef::new(
            E::PoolInvalidLtv,
            "PoolInvalidLtv",
            "LTVs outside `0 < maxLtv < liquidationLtv ≤ 10,000` (or both zero).",
        ),
        ErrorDef::new(
            E::PoolInvalidTermRange,
            "PoolInvalidTermRange",
            "`minTermSeconds > maxTermSeconds`.",
        ),
        ErrorDef::new(E::PoolPaused, "PoolPaused", "The pool is already paused."),
        ErrorDef::new(
            E::PoolNotPaused,
            "PoolNotPaused",
            "`UnpausePool` on a pool that is not paused.",
        ),
        ErrorDef::new(
            E::PoolZeroAmount,
            "PoolZeroAmount",
            "A deposit or withdrawal of zero, or one that rounds to zero.",
        ),
        ErrorDef::new(
            E::PoolInsufficientLiquidity,
            "PoolInsufficientLiquidity",
            "A withdrawal above the stablecoin the pool holds or the owner's shares.",
        ),
        ErrorDef::new(
            E::PoolUnexpectedMessageType,
            "PoolUnexpectedMessageType",
            "A message type the pool never handles (anything but `OPEN_LOAN`).",
        ),
        ErrorDef::new(
            E::PoolWrongCollateralAccount,
            "PoolWrongCollateralAccount",
            "The collateral config or price account is not the one the loan names.",
        ),
        ErrorDef::new(
            E::PoolWrongRecipientAccount,
            "PoolWrongRecipientAccount",
            "The principal's recipient token account is not the recipient's.",
        ),
        ErrorDef::new(
            E::PoolLoanMismatch,
            "PoolLoanMismatch",
            "The loan account does not belong to the message's loan id.",
        ),
        ErrorDef::new(
            E::PoolCancelTooEarly,
            "PoolCancelTooEarly",
            "`CancelExpired` at or before the request's `expiresAt`.",
        ),
        ErrorDef::new(
            E::PoolRateTooHigh,
            "PoolRateTooHigh",
            "A configured rate above `MAX_RATE_BPS`.",
        ),
        ErrorDef::new(
            E::PoolInvalidDueBucket,
            "PoolInvalidDueBucket",
            "A due-bucket width outside `[3,600, 31,536,000]` seconds.",
        ),
        ErrorDef::new(
            E::PoolMaxTermAboveBucketRing,
            "PoolMaxTermAboveBucketRing",
            "A longest term above 62 due buckets (`MAX_TERM_BUCKETS × W`).",
        ),
        ErrorDef::new(
            E::PoolInvalidInstallmentTerms,
            "PoolInvalidInstallmentTerms",
            "`SetInstallmentTerms` with max_installments outside [1, 360] or a period above max_term_seconds.",
        ),
    ]
};

impl From<LoanbridgeError> for ProgramError {
    fn from(error: LoanbridgeError) -> Self {
        ProgramError::Custom(error as u32)
    }
}
