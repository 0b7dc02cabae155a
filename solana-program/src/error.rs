use pinocchio::error::ProgramError;

/// Errors the program returns as `ProgramError::Custom(code)`.
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
    /// The instruction data is empty or names no known instruction.
    UnknownInstruction = 0,
    /// The instruction data has the wrong length or content for its instruction.
    InvalidInstructionData = 1,
    /// An account that must sign did not.
    MissingSignature = 2,
    /// An account that must be writable is not.
    AccountNotWritable = 3,
    /// An account is not owned by the program it must belong to.
    InvalidAccountOwner = 4,
    /// An account's data is not the layout it must hold (size, discriminator,
    /// version).
    InvalidAccountData = 5,
    /// An account is not at the program-derived address its seeds give.
    InvalidPda = 6,
    /// The system, token or another fixed program account is not that program.
    InvalidProgramAccount = 7,
    /// An account the instruction creates already exists.
    AccountAlreadyInitialized = 8,
    /// A token account has the wrong mint or owner.
    InvalidTokenAccount = 9,
    /// The signer is not the admin.
    Unauthorized = 10,
    /// Checked arithmetic overflowed.
    ArithmeticOverflow = 11,
    /// An amount that must move on Solana does not fit a `u64`.
    AmountTooLarge = 12,
    /// A mint has the wrong authority, decimals or state.
    InvalidMint = 13,

    // --- endpoint (20–59) -----------------------------------------------------
    /// The endpoint is paused: nothing is delivered (sending goes on).
    EndpointPaused = 20,
    /// `Unpause` on an endpoint that is not paused.
    EndpointNotPaused = 21,
    /// `Pause` by a signer that is neither the admin nor the guardian.
    NotGuardian = 22,
    /// A verifier set with no keys, more than 16, or a threshold outside 1..=n.
    InvalidVerifierSet = 23,
    /// Verifier keys are not strictly ascending (or one is all zero).
    VerifiersNotAscending = 24,
    /// The packet's `dstEid` is not this endpoint's.
    WrongDestination = 25,
    /// The packet's receiver is neither the vault nor the pool.
    UnknownReceiver = 26,
    /// No peer is registered for (receiver, srcEid), or the sender is not it.
    UnknownPeer = 27,
    /// The instructions sysvar account is not `Sysvar1nstructions1111…`.
    InvalidInstructionsSysvar = 28,
    /// The instruction before `Deliver` is not an Ed25519 precompile call.
    MissingEd25519Instruction = 29,
    /// The Ed25519 instruction's data is malformed or an offset is out of bounds.
    InvalidEd25519Instruction = 30,
    /// An Ed25519 signature, key or message lives in another instruction.
    Ed25519OffsetsNotInSameInstruction = 31,
    /// A signed message is not this packet's attestation digest.
    WrongAttestedMessage = 32,
    /// Two signatures by the same verifier.
    DuplicateSigner = 33,
    /// A signature by a key outside the current verifier set.
    SignerNotVerifier = 34,
    /// Fewer valid signatures than the threshold.
    BelowThreshold = 35,
    /// The packet's guid was delivered before.
    AlreadyDelivered = 36,
    /// `send` for an app with no peer on the destination.
    NoPeer = 37,
    /// `SetPeer` for an app other than the vault or the pool, or a zero eid.
    InvalidPeer = 38,
    /// `AcceptAdmin` by a signer that is not the pending admin.
    NotPendingAdmin = 39,
    /// A zero local endpoint id.
    InvalidEid = 40,
    /// `ClosePacket` for a packet whose loan is not final on this chain.
    PacketLoanNotFinal = 41,
    /// `ClosePacket` before the packet is `MIN_PACKET_AGE_SECONDS` old.
    PacketTooYoung = 42,
    /// `ClosePacket` paying the rent to another account than the packet's payer.
    WrongRentRecipient = 43,

    // --- collateral vault (60–99) ---------------------------------------------
    /// A message from another chain than the vault's lending chain.
    VaultUnexpectedSource = 60,
    /// A message type the vault never handles (`OPEN_LOAN`).
    VaultUnexpectedMessageType = 61,
    /// The loan is not in the state the message or refund needs.
    VaultUnexpectedLoanState = 62,
    /// Opening with zero collateral.
    VaultZeroCollateral = 63,
    /// Opening with zero principal.
    VaultZeroPrincipal = 64,
    /// Opening with a zero recipient.
    VaultZeroRecipient = 65,
    /// Opening with a token not on the allow-list.
    VaultAssetNotAllowed = 66,
    // 67 was `VaultRefundTooEarly` of the retired timeout refund: never reuse.
    /// `DEFAULTED`/`LIQUIDATED` naming a zero (or the vault's own) beneficiary.
    VaultInvalidBeneficiary = 68,
    /// A zero request time-to-live.
    VaultZeroRequestTtl = 69,
    /// The payout account is not the borrower or beneficiary.
    VaultWrongPayoutAccount = 70,
    /// Native collateral below the rent-exempt minimum of an empty account.
    VaultCollateralBelowRentMinimum = 71,
    /// The loan account does not belong to the message's loan id.
    VaultLoanMismatch = 72,
    /// An open's `expires_at` not in `(now, now + request_ttl]`.
    VaultInvalidExpiry = 73,

    // --- lending pool (200–259) -----------------------------------------------
    /// An `OPEN_LOAN` for a loan id the pool already knows.
    PoolLoanExists = 200,
    /// Repaying, defaulting or liquidating a loan that is not active.
    PoolLoanNotActive = 201,
    /// Repaying zero.
    PoolZeroRepayment = 202,
    /// Declaring a default before `dueTime + gracePeriodSeconds`.
    PoolLoanNotOverdue = 203,
    /// Liquidating a loan within its liquidation threshold.
    PoolLoanHealthy = 204,
    /// Liquidating a loan whose collateral is no longer configured.
    PoolCollateralNotConfigured = 205,
    /// Liquidating without a fresh price.
    PoolPriceUnavailable = 206,
    /// A default or liquidation with no beneficiary for the loan's chain.
    PoolBeneficiaryNotSet = 207,
    /// LTVs outside `0 < maxLtv < liquidationLtv ≤ 10,000` (or both zero).
    PoolInvalidLtv = 208,
    /// `minTermSeconds > maxTermSeconds`.
    PoolInvalidTermRange = 209,
    /// The pool is already paused.
    PoolPaused = 210,
    /// `UnpausePool` on a pool that is not paused.
    PoolNotPaused = 211,
    /// A deposit or withdrawal of zero, or one that rounds to zero.
    PoolZeroAmount = 212,
    /// A withdrawal above the stablecoin the pool holds or the owner's shares.
    PoolInsufficientLiquidity = 213,
    /// A message type the pool never handles (anything but `OPEN_LOAN`).
    PoolUnexpectedMessageType = 214,
    /// The collateral config or price account is not the one the loan names.
    PoolWrongCollateralAccount = 215,
    /// The principal's recipient token account is not the recipient's.
    PoolWrongRecipientAccount = 216,
    /// The loan account does not belong to the message's loan id.
    PoolLoanMismatch = 217,
    /// `CancelExpired` at or before the request's `expiresAt`.
    PoolCancelTooEarly = 218,
    /// A configured rate above `MAX_RATE_BPS`.
    PoolRateTooHigh = 219,
    /// A due-bucket width outside `[3,600, 31,536,000]` seconds.
    PoolInvalidDueBucket = 220,
    /// A longest term above 62 due buckets (`MAX_TERM_BUCKETS × W`).
    PoolMaxTermAboveBucketRing = 221,
}

impl LoanbridgeError {
    /// Every variant, in code order (for tests and the TypeScript client).
    pub const ALL: &'static [LoanbridgeError] = &[
        Self::UnknownInstruction,
        Self::InvalidInstructionData,
        Self::MissingSignature,
        Self::AccountNotWritable,
        Self::InvalidAccountOwner,
        Self::InvalidAccountData,
        Self::InvalidPda,
        Self::InvalidProgramAccount,
        Self::AccountAlreadyInitialized,
        Self::InvalidTokenAccount,
        Self::Unauthorized,
        Self::ArithmeticOverflow,
        Self::AmountTooLarge,
        Self::InvalidMint,
        Self::EndpointPaused,
        Self::EndpointNotPaused,
        Self::NotGuardian,
        Self::InvalidVerifierSet,
        Self::VerifiersNotAscending,
        Self::WrongDestination,
        Self::UnknownReceiver,
        Self::UnknownPeer,
        Self::InvalidInstructionsSysvar,
        Self::MissingEd25519Instruction,
        Self::InvalidEd25519Instruction,
        Self::Ed25519OffsetsNotInSameInstruction,
        Self::WrongAttestedMessage,
        Self::DuplicateSigner,
        Self::SignerNotVerifier,
        Self::BelowThreshold,
        Self::AlreadyDelivered,
        Self::NoPeer,
        Self::InvalidPeer,
        Self::NotPendingAdmin,
        Self::InvalidEid,
        Self::PacketLoanNotFinal,
        Self::PacketTooYoung,
        Self::WrongRentRecipient,
        Self::VaultUnexpectedSource,
        Self::VaultUnexpectedMessageType,
        Self::VaultUnexpectedLoanState,
        Self::VaultZeroCollateral,
        Self::VaultZeroPrincipal,
        Self::VaultZeroRecipient,
        Self::VaultAssetNotAllowed,
        Self::VaultInvalidBeneficiary,
        Self::VaultZeroRequestTtl,
        Self::VaultWrongPayoutAccount,
        Self::VaultCollateralBelowRentMinimum,
        Self::VaultLoanMismatch,
        Self::VaultInvalidExpiry,
        Self::PoolLoanExists,
        Self::PoolLoanNotActive,
        Self::PoolZeroRepayment,
        Self::PoolLoanNotOverdue,
        Self::PoolLoanHealthy,
        Self::PoolCollateralNotConfigured,
        Self::PoolPriceUnavailable,
        Self::PoolBeneficiaryNotSet,
        Self::PoolInvalidLtv,
        Self::PoolInvalidTermRange,
        Self::PoolPaused,
        Self::PoolNotPaused,
        Self::PoolZeroAmount,
        Self::PoolInsufficientLiquidity,
        Self::PoolUnexpectedMessageType,
        Self::PoolWrongCollateralAccount,
        Self::PoolWrongRecipientAccount,
        Self::PoolLoanMismatch,
        Self::PoolCancelTooEarly,
        Self::PoolRateTooHigh,
        Self::PoolInvalidDueBucket,
        Self::PoolMaxTermAboveBucketRing,
    ];
}

impl From<LoanbridgeError> for ProgramError {
    fn from(error: LoanbridgeError) -> Self {
        ProgramError::Custom(error as u32)
    }
}
