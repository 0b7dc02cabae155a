// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {ILoanbridgeApp} from "./ILoanbridgeApp.sol";
import {IPriceFeed} from "./IPriceFeed.sol";

/// @title ILendingPool
/// @notice The lending chain's half of a loan (shared/LOANS.md "Pool"): an ERC-4626 vault over the
///         stablecoin whose assets are lent against collateral locked on other chains.
/// @dev `totalAssets` = stablecoin held + outstanding principal of performing loans (active, not
///      past their first unpaid installment's due time, a bullet loan's `dueTime`, and never past
///      one before) + their interest accrued to now (shared/LOANS.md "Interest in pool assets",
///      "Overdue loans leave pool assets at their due time", "Installments"), so the share price
///      moves with time, not with repayments, and a loan's loss is shared by the lenders in when
///      it went overdue; withdrawals are limited to the stablecoin held. Loans are repaid in
///      `installments` equal payments (1: a bullet loan), each completed installment recorded by
///      a `Payment`. `onPacket`
///      answers `OPEN_LOAN` with `LOAN_ACTIVE` or `LOAN_REJECTED`; `cancelExpired` answers an
///      unanswered expired request with `LOAN_REJECTED(Expired)`; `repay`, `declareDefault` and
///      `liquidate` answer `REPAID`, `DEFAULTED` and `LIQUIDATED`. Every answer goes to the loan's
///      source eid through the endpoint.
interface ILendingPool is IERC4626, ILoanbridgeApp {
    /// @notice A loan's status on the lending chain.
    enum LoanStatus {
        None,
        Active,
        Repaid,
        Rejected,
        Defaulted,
        Liquidated
    }

    /// @notice A loan as the pool records it.
    /// @param status The loan's status.
    /// @param srcEid The collateral chain; answers go there.
    /// @param rateBps Annual rate charged.
    /// @param dueTime `startTime + termSeconds` rounded up to a multiple of `dueBucketSeconds`: the
    ///        last installment's due time.
    /// @param lastAccrual When interest was last accrued (`startTime` at first).
    /// @param installments Equal payments the loan is repaid in (1: a bullet loan).
    /// @param paidInstallments Installments paid so far, in order (shared/LOANS.md "Repayment").
    /// @param offBook Set once a repayment finds the loan's first unpaid installment past its due
    ///        time: the loan left pool assets then and stays out (its later payments count only in
    ///        the stablecoin held). Only installment loans set it; a bullet loan past its `dueTime`
    ///        is out for good anyway.
    /// @param principal Outstanding principal.
    /// @param interest Accrued, unpaid interest.
    /// @param repaid Everything paid so far (interest and principal).
    /// @param collateralAmount Collateral locked on the collateral chain.
    /// @param collateralAsset The collateral asset on the collateral chain (shared/SPEC.md address).
    /// @param startTime When the loan was disbursed.
    /// @param periodSeconds `termSeconds / installments`.
    /// @param installmentAmount The schedule's equal payment (`Annuity.payment`); a bullet loan's is
    ///        capped at 2^128 − 1 (it decides nothing: its one installment is paid at zero debt).
    struct Loan {
        // Slot 0: everything a bullet loan's repayment reads besides amounts.
        LoanStatus status;
        uint32 srcEid;
        uint32 rateBps;
        uint64 dueTime;
        uint64 lastAccrual;
        uint16 installments;
        uint16 paidInstallments;
        bool offBook;
        uint128 principal;
        uint128 interest;
        uint128 repaid;
        uint128 collateralAmount;
        bytes32 collateralAsset;
        // The schedule: read by installment loans only.
        uint64 startTime;
        uint64 periodSeconds;
        uint128 installmentAmount;
    }

    /// @notice Pool settings for one collateral asset of one remote chain.
    /// @param maxLtvBps Highest loan-to-value at open; 0 means not configured.
    /// @param liquidationLtvBps Debt-to-value above which anyone may liquidate; above `maxLtvBps`.
    /// @param priceId The id the price feed knows the asset by (native ETH and native SOL are both
    ///        the zero address on the wire, so the pool maps each (eid, asset) to its own id).
    struct CollateralConfig {
        uint16 maxLtvBps;
        uint16 liquidationLtvBps;
        bytes32 priceId;
    }

    /// @notice Sums over performing loans: those of one due bucket, or of every bucket not yet due.
    /// @param principal Outstanding principal.
    /// @param interest Interest accrued into the loans (at their last accruals) and not yet paid.
    /// @param rateWeight Σ principal × rateBps.
    /// @param anchor Σ principal × rateBps × lastAccrual; `now × rateWeight − anchor` is the
    ///        interest accrued since, exactly, in base units × bps × seconds.
    struct PerformingSums {
        uint256 principal;
        uint256 interest;
        uint256 rateWeight;
        uint256 anchor;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice Thrown when `onPacket` is called by anyone but the endpoint.
    /// @param caller The caller.
    error PoolNotEndpoint(address caller);
    /// @notice Thrown when an `OPEN_LOAN` reuses the id of a loan the pool has already answered, or
    ///         `cancelExpired` names a loan the pool already knows (disbursed, rejected or cancelled).
    /// @param loanId The loan.
    error PoolLoanExists(bytes32 loanId);
    /// @notice Thrown when `cancelExpired` is called at or before the request's deadline.
    /// @param loanId The loan the parameters name.
    /// @param expiresAt The deadline; cancelling is allowed once `block.timestamp` exceeds it.
    error PoolCancelTooEarly(bytes32 loanId, uint64 expiresAt);
    /// @notice Thrown when `cancelExpired` names a remote endpoint id where the pool has no peer vault.
    /// @param srcEid The remote endpoint id.
    error PoolNoPeer(uint32 srcEid);
    /// @notice Thrown when the owner sets a rate above `MAX_RATE_BPS`.
    /// @param rateBps The given rate.
    /// @param maxRateBps The cap.
    error PoolRateAboveMax(uint32 rateBps, uint32 maxRateBps);
    /// @notice Thrown when repaying, defaulting or liquidating a loan that is not active.
    /// @param loanId The loan.
    /// @param status The loan's status.
    error PoolLoanNotActive(bytes32 loanId, LoanStatus status);
    /// @notice Thrown when repaying zero.
    error PoolZeroRepayment();
    /// @notice Thrown when declaring a default before `dueTime + gracePeriodSeconds` has passed.
    /// @param loanId The loan.
    /// @param defaultableAfter A default is allowed once `block.timestamp` exceeds this.
    error PoolLoanNotOverdue(bytes32 loanId, uint256 defaultableAfter);
    /// @notice Thrown when liquidating a loan whose debt is within the liquidation threshold.
    /// @param loanId The loan.
    /// @param debt Principal plus accrued interest.
    /// @param maxDebt The largest debt the collateral backs: `value * liquidationLtvBps / 10,000`.
    error PoolLoanHealthy(bytes32 loanId, uint256 debt, uint256 maxDebt);
    /// @notice Thrown when liquidating a loan whose collateral (eid, asset) is no longer configured.
    /// @param remoteEid The collateral chain.
    /// @param asset The collateral asset.
    error PoolCollateralNotConfigured(uint32 remoteEid, bytes32 asset);
    /// @notice Thrown when liquidating without a fresh price.
    /// @param priceId The price id.
    /// @param price The feed's price (0 when missing).
    /// @param updatedAt The feed's timestamp.
    error PoolPriceUnavailable(bytes32 priceId, uint256 price, uint256 updatedAt);
    /// @notice Thrown when a default or liquidation has no beneficiary for the loan's chain.
    /// @param remoteEid The collateral chain.
    error PoolBeneficiaryNotSet(uint32 remoteEid);
    /// @notice Thrown when the owner sets LTVs outside `0 < maxLtvBps < liquidationLtvBps <= 10,000`
    ///         (or both zero, which removes the asset).
    /// @param maxLtvBps The given open LTV.
    /// @param liquidationLtvBps The given liquidation LTV.
    error PoolInvalidLtv(uint16 maxLtvBps, uint16 liquidationLtvBps);
    /// @notice Thrown when the owner sets `minTermSeconds > maxTermSeconds`.
    /// @param minTermSeconds The given minimum.
    /// @param maxTermSeconds The given maximum.
    error PoolInvalidTermRange(uint64 minTermSeconds, uint64 maxTermSeconds);
    /// @notice Thrown when the pool is deployed with a due-bucket width outside
    ///         `[MIN_DUE_BUCKET_SECONDS, MAX_DUE_BUCKET_SECONDS]`.
    /// @param dueBucketSeconds The given width.
    /// @param minSeconds The smallest width allowed.
    /// @param maxSeconds The largest width allowed.
    error PoolInvalidDueBucket(uint64 dueBucketSeconds, uint64 minSeconds, uint64 maxSeconds);
    /// @notice Thrown when the owner sets `maxTermSeconds` above `MAX_TERM_BUCKETS ×
    ///         dueBucketSeconds`: a longer loan's due bucket could share a ring slot with a live one.
    /// @param maxTermSeconds The given maximum term.
    /// @param limit The longest term allowed.
    error PoolMaxTermAboveBucketRing(uint64 maxTermSeconds, uint64 limit);
    /// @notice Thrown when the owner sets installment terms outside `1 ≤ maxInstallments ≤
    ///         MAX_INSTALLMENTS`, or a non-zero period above `maxTermSeconds`.
    /// @param maxInstallments The given most installments.
    /// @param periods The given periods.
    error PoolInvalidInstallmentTerms(uint16 maxInstallments, uint64[4] periods);
    /// @notice Thrown when `pause` is called by anyone but the owner or the guardian.
    /// @param caller The caller.
    error PoolNotGuardian(address caller);
    /// @notice Thrown when the owner calls `renounceOwnership`, which is disabled: without an owner
    ///         a pause would be permanent and collateral, terms, price source and beneficiaries
    ///         could never change again.
    error PoolRenounceDisabled();

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice Emitted when the pool accepts an `OPEN_LOAN`, disburses and answers `LOAN_ACTIVE`.
    /// @param loanId The loan.
    /// @param srcEid The collateral chain.
    /// @param borrower The borrower on the collateral chain.
    /// @param recipient Who received the principal.
    /// @param principal Principal disbursed.
    /// @param rateBps Annual rate charged.
    /// @param startTime Start of the loan.
    /// @param dueTime `startTime + termSeconds` rounded up to a multiple of `dueBucketSeconds`.
    event LoanOpened(
        bytes32 indexed loanId,
        uint32 indexed srcEid,
        bytes32 borrower,
        address indexed recipient,
        uint256 principal,
        uint32 rateBps,
        uint64 startTime,
        uint64 dueTime
    );
    /// @notice Emitted right after `LoanOpened` with the loan's installment schedule
    ///         (shared/LOANS.md "Installments").
    /// @param loanId The loan.
    /// @param installments Equal payments the loan is repaid in (1: a bullet loan).
    /// @param periodSeconds `termSeconds / installments`; installment k is due at `⌈(startTime + k ×
    ///        periodSeconds) / dueBucketSeconds⌉ × dueBucketSeconds`.
    /// @param installmentAmount The schedule's equal payment (capped at 2^128 − 1 for a bullet loan).
    event LoanScheduled(bytes32 indexed loanId, uint16 installments, uint64 periodSeconds, uint256 installmentAmount);
    /// @notice Emitted when the pool answers an `OPEN_LOAN` with `LOAN_REJECTED`.
    /// @param loanId The loan.
    /// @param srcEid The collateral chain.
    /// @param reason The reject reason (shared/SPEC.md code).
    event LoanRejected(bytes32 indexed loanId, uint32 indexed srcEid, uint8 reason);
    /// @notice Emitted when anyone cancels an unanswered request after its deadline; the pool records
    ///         it `Rejected` (`LoanRejected` with reason `Expired` follows) and answers
    ///         `LOAN_REJECTED(Expired)`.
    /// @param loanId The loan.
    /// @param srcEid The collateral chain.
    /// @param borrower The borrower there.
    /// @param vaultNonce The vault's nonce for the loan.
    /// @param expiresAt The request's deadline.
    /// @param caller Who cancelled.
    event LoanCancelled(
        bytes32 indexed loanId,
        uint32 indexed srcEid,
        bytes32 borrower,
        uint64 vaultNonce,
        uint64 expiresAt,
        address indexed caller
    );
    /// @notice Emitted when interest accrues on a loan.
    /// @param loanId The loan.
    /// @param amount Interest added.
    /// @param interest Accrued unpaid interest after it.
    event InterestAccrued(bytes32 indexed loanId, uint256 amount, uint256 interest);
    /// @notice Emitted for every repayment.
    /// @param loanId The loan.
    /// @param payer Who paid.
    /// @param interestPaid Part of the payment that covered interest.
    /// @param principalPaid Part of the payment that covered principal.
    /// @param principalLeft Outstanding principal after it.
    /// @param interestLeft Accrued unpaid interest after it.
    event LoanRepayment(
        bytes32 indexed loanId,
        address indexed payer,
        uint256 interestPaid,
        uint256 principalPaid,
        uint256 principalLeft,
        uint256 interestLeft
    );
    /// @notice Emitted for each installment a repayment completes, in order (shared/LOANS.md
    ///         "Repayment"): installment k < n once the loan's cumulative `repaid` reaches k ×
    ///         `installmentAmount`, the last one (with every earlier one) once the debt is zero.
    /// @param loanId The loan.
    /// @param index The installment, 1-based.
    /// @param amount What it is attributed out of `repaid`: `min(installmentAmount, max(repaid −
    ///        (index − 1) × installmentAmount, 0))`, the last one without the `min` (the amounts
    ///        of a loan's installments sum to its `repaid`).
    /// @param remainingPrincipal The loan's principal after the repayment.
    event Payment(bytes32 indexed loanId, uint16 indexed index, uint256 amount, uint256 remainingPrincipal);
    /// @notice Emitted when a loan is fully repaid and the pool answers `REPAID`.
    /// @param loanId The loan.
    /// @param amountRepaid Everything paid over the loan's life.
    event LoanRepaid(bytes32 indexed loanId, uint256 amountRepaid);
    /// @notice Emitted when a loan is declared in default and the pool answers `DEFAULTED`.
    /// @param loanId The loan.
    /// @param principalWrittenOff Outstanding principal removed from the pool's assets.
    /// @param outstanding Principal plus interest left unpaid.
    /// @param beneficiary Who receives the collateral on the collateral chain.
    event LoanDefaulted(bytes32 indexed loanId, uint256 principalWrittenOff, uint256 outstanding, bytes32 beneficiary);
    /// @notice Emitted when a loan is liquidated and the pool answers `LIQUIDATED`.
    /// @param loanId The loan.
    /// @param principalWrittenOff Outstanding principal removed from the pool's assets.
    /// @param outstanding Principal plus interest left unpaid.
    /// @param beneficiary Who receives the collateral on the collateral chain.
    /// @param collateralValue The collateral's value at the price used.
    event LoanLiquidated(
        bytes32 indexed loanId,
        uint256 principalWrittenOff,
        uint256 outstanding,
        bytes32 beneficiary,
        uint256 collateralValue
    );
    /// @notice Emitted when the owner configures or removes a collateral asset.
    /// @param remoteEid The collateral chain.
    /// @param asset The collateral asset (shared/SPEC.md address).
    /// @param maxLtvBps Open LTV (0: removed).
    /// @param liquidationLtvBps Liquidation LTV.
    /// @param priceId The price feed's id for the asset.
    event CollateralConfigured(
        uint32 indexed remoteEid, bytes32 indexed asset, uint16 maxLtvBps, uint16 liquidationLtvBps, bytes32 priceId
    );
    /// @notice Emitted when the owner sets the loan terms.
    /// @param rateBps Annual rate for new loans.
    /// @param minTermSeconds Shortest term accepted.
    /// @param maxTermSeconds Longest term accepted.
    /// @param gracePeriodSeconds Time after an unpaid installment's due time (a bullet loan's `dueTime`)
    ///        before a default.
    event LoanTermsSet(uint32 rateBps, uint64 minTermSeconds, uint64 maxTermSeconds, uint64 gracePeriodSeconds);
    /// @notice Emitted when the owner sets the installment terms (and at deployment: bullet loans
    ///         only).
    /// @param maxInstallments Most installments a loan may have.
    /// @param periods The periods an installment loan may have (0: unused slot).
    event InstallmentTermsSet(uint16 maxInstallments, uint64[4] periods);
    /// @notice Emitted once, at deployment, with the due-bucket width (fixed for the pool's life).
    /// @param dueBucketSeconds The width W: due times are multiples of it.
    event DueBucketSecondsSet(uint64 dueBucketSeconds);
    /// @notice Emitted when a due bucket holding loans is flushed: its loans are overdue and leave
    ///         pool assets (their principal and interest, recorded and accrued since).
    /// @param index The bucket (`dueTime / dueBucketSeconds`).
    /// @param dueTime The bucket's loans' due time.
    /// @param principal Principal of its loans, removed from pool assets.
    /// @param interest Interest recorded into its loans at their last accruals, removed with it.
    event DueBucketFlushed(uint64 indexed index, uint64 dueTime, uint256 principal, uint256 interest);
    /// @notice Emitted when the owner sets the beneficiary for a remote chain.
    /// @param remoteEid The collateral chain.
    /// @param beneficiary Receives seized collateral there.
    event BeneficiarySet(uint32 indexed remoteEid, bytes32 beneficiary);
    /// @notice Emitted when the owner sets the price source.
    /// @param priceFeed The feed.
    /// @param maxPriceAge Oldest price accepted, in seconds.
    event PriceFeedSet(address indexed priceFeed, uint64 maxPriceAge);
    /// @notice Emitted when the owner sets the guardian.
    /// @param guardian May pause the pool.
    event GuardianSet(address indexed guardian);

    // ---------------------------------------------------------------------------------------------
    // Anyone
    // ---------------------------------------------------------------------------------------------

    /// @notice Cancels a request the pool never answered, once its deadline has passed: the pool
    ///         records the loan `Rejected` and answers `LOAN_REJECTED(Expired)`, which refunds the
    ///         collateral (shared/LOANS.md "Cancel"). Anyone may call.
    /// @dev Derives `loanId` (`LoanId`) from `srcEid`, the pool's peer vault there (the endpoint's
    ///      `peer`), `borrower`, `vaultNonce` and `expiresAt`. Requires `block.timestamp >
    ///      expiresAt` on this chain's clock (the one that answers a late `OPEN_LOAN` `Expired`)
    ///      and an id the pool does not know, so the pool either disbursed or cancelled a loan,
    ///      never both: a later `OPEN_LOAN` for it fails as a known id. Wrong parameters only cancel
    ///      an id no vault will ever send. Works while the pool is paused. Reverts `PoolNoPeer`,
    ///      `PoolCancelTooEarly`, `PoolLoanExists`.
    /// @param srcEid The collateral chain.
    /// @param borrower The borrower there (shared/SPEC.md address).
    /// @param vaultNonce The vault's nonce for the loan.
    /// @param expiresAt The request's deadline, as in its `OPEN_LOAN`.
    /// @return loanId The cancelled loan.
    function cancelExpired(uint32 srcEid, bytes32 borrower, uint64 vaultNonce, uint64 expiresAt)
        external
        returns (bytes32 loanId);

    /// @notice Pays towards a loan: accrued interest first, then principal; capped at the debt.
    /// @dev Accrues interest first. Pulls the (capped) payment from the caller. Completes the
    ///      installments the loan's cumulative `repaid` now covers, in order, with a `Payment` each
    ///      (shared/LOANS.md "Repayment"); a performing loan then moves to the due bucket of its
    ///      first unpaid installment. When principal and interest both reach zero every
    ///      installment is paid, the loan is `Repaid` and the pool sends `REPAID` with everything
    ///      paid over the loan's life. Reverts `PoolZeroRepayment`, `PoolLoanNotActive`.
    /// @param loanId The loan.
    /// @param amount The most to pay, in stablecoin base units.
    /// @return paid The amount taken.
    function repay(bytes32 loanId, uint256 amount) external returns (uint256 paid);

    /// @notice Declares an overdue loan in default: writes its principal off and sends `DEFAULTED`.
    /// @dev Allowed once `block.timestamp` is past the first unpaid installment's due time plus
    ///      `gracePeriodSeconds` (a bullet loan's: `dueTime`); accrues interest first so
    ///      `outstanding` is principal plus interest to now. Reverts `PoolLoanNotActive`,
    ///      `PoolLoanNotOverdue`, `PoolBeneficiaryNotSet`.
    /// @param loanId The loan.
    function declareDefault(bytes32 loanId) external;

    /// @notice Liquidates a loan whose debt exceeds the liquidation threshold at a fresh price:
    ///         writes its principal off and sends `LIQUIDATED`.
    /// @dev Accrues interest, then requires `debt * 10,000 > value * liquidationLtvBps`. Reverts
    ///      `PoolLoanNotActive`, `PoolCollateralNotConfigured`, `PoolPriceUnavailable`,
    ///      `PoolLoanHealthy`, `PoolBeneficiaryNotSet`.
    /// @param loanId The loan.
    function liquidate(bytes32 loanId) external;

    // ---------------------------------------------------------------------------------------------
    // Owner and guardian
    // ---------------------------------------------------------------------------------------------

    /// @notice Configures a collateral asset of a remote chain, or removes it with both LTVs 0.
    /// @dev Only the owner. Reverts `PoolInvalidLtv`.
    /// @param remoteEid The collateral chain.
    /// @param asset The asset (shared/SPEC.md address; zero for the chain's native coin).
    /// @param config LTVs and price id.
    function setCollateral(uint32 remoteEid, bytes32 asset, CollateralConfig calldata config) external;

    /// @notice Sets the rate for new loans, the accepted term range and the default grace period.
    /// @dev Only the owner. Reverts `PoolRateAboveMax` above `MAX_RATE_BPS`, `PoolInvalidTermRange`,
    ///      `PoolMaxTermAboveBucketRing` above `MAX_TERM_BUCKETS × dueBucketSeconds`.
    /// @param rateBps Annual rate.
    /// @param minTermSeconds Shortest term.
    /// @param maxTermSeconds Longest term.
    /// @param gracePeriodSeconds Time after an unpaid installment's due time (a bullet loan's `dueTime`)
    ///        before a default.
    function setLoanTerms(uint32 rateBps, uint64 minTermSeconds, uint64 maxTermSeconds, uint64 gracePeriodSeconds)
        external;

    /// @notice Sets how many installments a loan may have and the periods it may have them at
    ///         (shared/LOANS.md "Installments"): an `OPEN_LOAN` whose count is above
    ///         `maxInstallments`, or, with more than one installment, whose period `termSeconds /
    ///         installments` is not one of `periods`, is answered `InvalidTerms`.
    /// @dev Only the owner. Reverts `PoolInvalidInstallmentTerms` unless `1 ≤ maxInstallments ≤
    ///      MAX_INSTALLMENTS` and every non-zero period is at most `maxTermSeconds`. Applies to loans
    ///      opened after it.
    /// @param maxInstallments Most installments (1: bullet loans only).
    /// @param periods Up to four allowed periods, in seconds; 0 marks an unused slot.
    function setInstallmentTerms(uint16 maxInstallments, uint64[4] calldata periods) external;

    /// @notice Sets who receives seized collateral on a remote chain.
    /// @dev Only the owner.
    /// @param remoteEid The collateral chain.
    /// @param beneficiary Its address there (shared/SPEC.md address).
    function setBeneficiary(uint32 remoteEid, bytes32 beneficiary) external;

    /// @notice Sets the price source and the oldest price it accepts.
    /// @dev Only the owner.
    /// @param priceFeed The feed.
    /// @param maxPriceAge Seconds.
    function setPriceFeed(IPriceFeed priceFeed, uint64 maxPriceAge) external;

    /// @notice Sets the account that may pause the pool besides the owner.
    /// @dev Only the owner.
    /// @param guardian The guardian (zero for none).
    function setGuardian(address guardian) external;

    /// @notice Pauses the pool: new loans are rejected with `Paused`. Deposits, withdrawals,
    ///         repayments, defaults and liquidations go on.
    /// @dev Owner or guardian. Reverts `PoolNotGuardian`, or `EnforcedPause` when already paused.
    function pause() external;

    /// @notice Unpauses the pool.
    /// @dev Only the owner. Reverts `ExpectedPause` when not paused.
    function unpause() external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The endpoint that delivers `OPEN_LOAN` and sends the answers.
    /// @return The endpoint.
    function endpoint() external view returns (address);

    /// @notice The highest annual rate the owner may set, in basis points (1,000 % a year), so that
    ///         the interest aggregate stays bounded.
    /// @return 100,000.
    function MAX_RATE_BPS() external view returns (uint32);

    /// @notice The most installments the owner may allow.
    /// @return 360.
    function MAX_INSTALLMENTS() external view returns (uint16);

    /// @notice Slots in the ring of due buckets.
    /// @return 64.
    function DUE_BUCKETS() external view returns (uint256);

    /// @notice The longest term allowed, in due buckets: every open loan's bucket then lies within
    ///         62 of the first not yet due, so it has its own ring slot.
    /// @return 62.
    function MAX_TERM_BUCKETS() external view returns (uint64);

    /// @notice The smallest due-bucket width accepted at deployment (bounds an idle pool's flush).
    /// @return 3,600 seconds.
    function MIN_DUE_BUCKET_SECONDS() external view returns (uint64);

    /// @notice The largest due-bucket width accepted at deployment (keeps due times in 64 bits).
    /// @return 31,536,000 seconds.
    function MAX_DUE_BUCKET_SECONDS() external view returns (uint64);

    /// @notice The due-bucket width W: every loan's `dueTime` is a multiple of it, and loans due at
    ///         the same time leave pool assets together.
    /// @return Seconds, fixed at deployment.
    function dueBucketSeconds() external view returns (uint64);

    /// @notice The first due bucket not yet flushed (index = due time / `dueBucketSeconds`).
    /// @dev Moved by every pool operation to `⌈now / dueBucketSeconds⌉`; views compute as if it
    ///      had been.
    /// @return The bucket index.
    function dueCursor() external view returns (uint64);

    /// @notice The sums over performing loans (active, not past their next due time) as of
    ///         `block.timestamp`, with every due bucket removed: pool assets are held + principal +
    ///         interest + ⌊(now × rateWeight − anchor) / (10,000 × 31,536,000)⌋.
    /// @return The sums.
    function performing() external view returns (PerformingSums memory);

    /// @notice The sums over the performing loans of one due bucket.
    /// @param index The bucket: due time / `dueBucketSeconds`.
    /// @return The sums; all zero for a bucket due (its loans overdue), empty or out of range.
    function dueBucket(uint64 index) external view returns (PerformingSums memory);

    /// @notice A loan's record (interest as last accrued).
    /// @param loanId The loan.
    /// @return The loan (all zero for an unknown id).
    function getLoan(bytes32 loanId) external view returns (Loan memory);

    /// @notice A loan's debt now: principal plus interest, including what an accrual now would add
    ///         (saturated so that principal + interest ≤ 2^128 − 1).
    /// @param loanId The loan.
    /// @return principal Outstanding principal.
    /// @return interest Accrued interest as of `block.timestamp`.
    function debtOf(bytes32 loanId) external view returns (uint256 principal, uint256 interest);

    /// @notice A loan's installment schedule, what the relayer reads to follow its payments.
    /// @param loanId The loan.
    /// @return installments Equal payments (1: a bullet loan; 0 for an unknown or rejected id).
    /// @return paidInstallments Installments paid so far.
    /// @return periodSeconds One period.
    /// @return startTime When the loan was disbursed.
    /// @return installmentAmount The schedule's equal payment.
    /// @return nextDueTime The first unpaid installment's due time, `⌈(startTime +
    ///         (paidInstallments + 1) × periodSeconds) / dueBucketSeconds⌉ × dueBucketSeconds`; 0
    ///         unless the loan is `Active`.
    function loanSchedule(bytes32 loanId)
        external
        view
        returns (
            uint16 installments,
            uint16 paidInstallments,
            uint64 periodSeconds,
            uint64 startTime,
            uint128 installmentAmount,
            uint64 nextDueTime
        );

    /// @notice The collateral settings of (remote eid, asset).
    /// @param remoteEid The collateral chain.
    /// @param asset The asset.
    /// @return The settings (all zero when not configured).
    function collateralConfig(uint32 remoteEid, bytes32 asset) external view returns (CollateralConfig memory);

    /// @notice Annual rate for new loans, in basis points.
    /// @return The rate.
    function rateBps() external view returns (uint32);

    /// @notice Shortest term accepted.
    /// @return Seconds.
    function minTermSeconds() external view returns (uint64);

    /// @notice Longest term accepted.
    /// @return Seconds.
    function maxTermSeconds() external view returns (uint64);

    /// @notice Time after an unpaid installment's due time (a bullet loan's `dueTime`) before anyone
    ///         may declare a default.
    /// @return Seconds.
    function gracePeriodSeconds() external view returns (uint64);

    /// @notice The most installments a new loan may have (1 until the owner allows more).
    /// @return The count.
    function maxInstallments() external view returns (uint16);

    /// @notice The periods a new installment loan may have.
    /// @return Seconds each; 0 marks an unused slot.
    function installmentPeriods() external view returns (uint64[4] memory);

    /// @notice Who receives seized collateral on `remoteEid`.
    /// @param remoteEid The collateral chain.
    /// @return The beneficiary (shared/SPEC.md address), zero when not set.
    function beneficiary(uint32 remoteEid) external view returns (bytes32);

    /// @notice The price source.
    /// @return The feed.
    function priceFeed() external view returns (IPriceFeed);

    /// @notice The oldest price accepted.
    /// @return Seconds.
    function maxPriceAge() external view returns (uint64);

    /// @notice The account that may pause besides the owner.
    /// @return The guardian.
    function guardian() external view returns (address);
}
