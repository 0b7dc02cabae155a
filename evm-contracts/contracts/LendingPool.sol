// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ILendingPool} from "./interfaces/ILendingPool.sol";
import {ILoanbridgeApp} from "./interfaces/ILoanbridgeApp.sol";
import {ILoanbridgeEndpointSender} from "./interfaces/ILoanbridgeEndpoint.sol";
import {IPriceFeed} from "./interfaces/IPriceFeed.sol";
import {Annuity} from "./libraries/Annuity.sol";
import {EvmAddress} from "./libraries/EvmAddress.sol";
import {LoanId} from "./libraries/LoanId.sol";
import {LoanMath} from "./libraries/LoanMath.sol";
import {LoanMessageCodec} from "./libraries/LoanMessageCodec.sol";

/// @title LendingPool
/// @notice The lending chain's half of a loan (shared/LOANS.md "Pool"): lenders deposit a
///         stablecoin for shares (ERC-4626); the pool checks `OPEN_LOAN`s, disburses, accrues simple
///         interest, takes repayments and writes off defaulted or liquidated loans.
/// @dev Shares carry `DECIMALS_OFFSET` more decimals than the stablecoin: OpenZeppelin's virtual
///      shares then make a first-depositor donation attack cost the attacker far more than it
///      takes from the victim. Every external state-changing function is `nonReentrant` and
///      follows checks-effects-interactions. Interest, collateral value and LTV checks are
///      `LoanMath`'s, the arithmetic the Solana program and the TypeScript reference share.
///
///      Pool assets (shared/LOANS.md "Interest in pool assets", "Overdue loans leave pool assets at
///      their due time", "Installments") count only *performing* loans, those not past the due time
///      of their first unpaid installment (a bullet loan's `dueTime`) and that never missed one.
///      Loans are grouped in due buckets of `dueBucketSeconds` (W): due times are multiples of W,
///      and a loan is booked in the bucket `due / W` of its first unpaid installment, moving to the
///      next installment's as it pays one on time. A ring of `DUE_BUCKETS` slots holds, per bucket,
///      the sums principal, recorded interest, `rateWeight = Σ principal × rateBps` and `anchor = Σ
///      principal × rateBps × lastAccrual`; the performing totals are the sums over the buckets not
///      yet due, so the performing loans' interest accrued to now is exactly `now × rateWeight −
///      anchor` (base units × bps × seconds). `_flush` removes every due bucket (`index × W < now`)
///      from the totals before each pool operation; `totalAssets` does the same virtually. Terms
///      are at most `MAX_TERM_BUCKETS × W`, so every live bucket lies in `[cursor, cursor + 62]`
///      and has its own slot. Bounds: rates ≤ `MAX_RATE_BPS` (17 bits), performing principal ≤
///      2^128 − 1 (a larger loan is answered `InsufficientLiquidity`) and times < 2^64, so
///      `rateWeight` < 2^145 and `anchor`, `now × rateWeight` < 2^209; a loan's interest saturates
///      so that its principal + interest ≤ 2^128 − 1 (the wire's `uint128`), so closing a loan
///      never fails on arithmetic.
contract LendingPool is ILendingPool, ERC4626, Ownable2Step, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Basis points in one (`LoanMath.BPS`).
    uint256 public constant BPS = LoanMath.BPS;
    /// @notice Seconds in the interest year, 365 days (`LoanMath.SECONDS_PER_YEAR`).
    uint256 public constant YEAR_SECONDS = LoanMath.SECONDS_PER_YEAR;
    /// @notice Collateral base units a price is quoted for (`LoanMath.PRICE_SCALE`).
    uint256 public constant PRICE_SCALE = LoanMath.PRICE_SCALE;
    /// @notice Extra share decimals over the stablecoin's (virtual-shares offset).
    uint8 public constant DECIMALS_OFFSET = 6;
    /// @inheritdoc ILendingPool
    uint32 public constant MAX_RATE_BPS = 100_000;
    /// @inheritdoc ILendingPool
    uint16 public constant MAX_INSTALLMENTS = 360;

    /// @inheritdoc ILendingPool
    uint256 public constant DUE_BUCKETS = 64;
    /// @inheritdoc ILendingPool
    uint64 public constant MAX_TERM_BUCKETS = 62;
    /// @inheritdoc ILendingPool
    uint64 public constant MIN_DUE_BUCKET_SECONDS = 3_600;
    /// @inheritdoc ILendingPool
    uint64 public constant MAX_DUE_BUCKET_SECONDS = 31_536_000;

    /// @dev `BPS × YEAR_SECONDS`: scaled interest (`now × rateWeight − anchor`) over this is
    ///      interest in base units.
    uint256 private constant _SCALE = LoanMath.BPS * LoanMath.SECONDS_PER_YEAR;

    /// @dev One due bucket's sums over its performing loans (all zero once flushed or empty).
    ///      `principal` fits: it is part of the performing principal, at most 2^128 − 1.
    struct DueBucket {
        uint128 principal;
        uint256 interest;
        uint256 rateWeight;
        uint256 anchor;
    }

    /// @inheritdoc ILendingPool
    address public immutable endpoint;
    /// @inheritdoc ILendingPool
    uint64 public immutable dueBucketSeconds;

    // One slot: every operation reads the cursor, and a loan's opening or repayment then writes
    // the principal warm.
    uint128 private _performingPrincipal;
    /// @inheritdoc ILendingPool
    uint64 public dueCursor;
    uint256 private _performingInterest;
    uint256 private _rateWeight;
    uint256 private _anchor;
    DueBucket[DUE_BUCKETS] private _buckets;

    /// @inheritdoc ILendingPool
    uint32 public rateBps;
    /// @inheritdoc ILendingPool
    uint64 public minTermSeconds;
    /// @inheritdoc ILendingPool
    uint64 public maxTermSeconds;
    /// @inheritdoc ILendingPool
    uint64 public gracePeriodSeconds;
    /// @inheritdoc ILendingPool
    uint16 public maxInstallments;
    uint64[4] private _installmentPeriods;

    /// @inheritdoc ILendingPool
    IPriceFeed public priceFeed;
    /// @inheritdoc ILendingPool
    uint64 public maxPriceAge;

    /// @inheritdoc ILendingPool
    address public guardian;

    /// @inheritdoc ILendingPool
    mapping(uint32 remoteEid => bytes32) public beneficiary;

    mapping(uint32 remoteEid => mapping(bytes32 asset => CollateralConfig)) private _collateral;
    mapping(bytes32 loanId => Loan) private _loans;

    /// @param stablecoin The asset lent and deposited.
    /// @param endpoint_ The local endpoint (delivers `OPEN_LOAN`, sends the answers).
    /// @param initialOwner Manages the settings.
    /// @param dueBucketSeconds_ The due-bucket width W, in `[MIN_DUE_BUCKET_SECONDS,
    ///        MAX_DUE_BUCKET_SECONDS]` (else `PoolInvalidDueBucket`); fixed for the pool's life.
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(
        IERC20 stablecoin,
        address endpoint_,
        address initialOwner,
        uint64 dueBucketSeconds_,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) ERC4626(stablecoin) Ownable(initialOwner) {
        if (dueBucketSeconds_ < MIN_DUE_BUCKET_SECONDS || dueBucketSeconds_ > MAX_DUE_BUCKET_SECONDS) {
            revert PoolInvalidDueBucket(dueBucketSeconds_, MIN_DUE_BUCKET_SECONDS, MAX_DUE_BUCKET_SECONDS);
        }
        endpoint = endpoint_;
        dueBucketSeconds = dueBucketSeconds_;
        // No bucket before the first not yet due holds a loan: nothing to flush at the first
        // operation.
        dueCursor = _firstNotDue(dueBucketSeconds_);
        emit DueBucketSecondsSet(dueBucketSeconds_);
        // Bullet loans only until the owner allows installments.
        maxInstallments = 1;
        emit InstallmentTermsSet(1, _installmentPeriods);
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-4626
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IERC4626
    /// @dev Stablecoin held plus the performing loans' (those not past their next due time)
    ///      principal and interest accrued to now: `held + principal + interest + ⌊(now × rateWeight − anchor) /
    ///      (10,000 × 31,536,000)⌋` over the performing sums (`performing()`), at most one base unit
    ///      per performing loan above the sum of the loans' own rounded accruals. An overdue loan
    ///      counts zero. A loan whose debt reaches the 2^128 - 1 saturation is counted with the
    ///      interest it would have charged unsaturated until its next accrual moves only the capped
    ///      amount: out of reach of any real stablecoin (2^128 base units).
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        PerformingSums memory sums = _performingNow();
        return _held() + sums.principal + sums.interest + _accruedSince(sums);
    }

    /// @inheritdoc IERC4626
    /// @dev Limited to the stablecoin held: lent principal cannot be withdrawn.
    function maxWithdraw(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(_convertToAssets(balanceOf(owner), Math.Rounding.Floor), _held());
    }

    /// @inheritdoc IERC4626
    /// @dev Limited to the shares whose assets the stablecoin held covers.
    function maxRedeem(address owner) public view override(ERC4626, IERC4626) returns (uint256) {
        return Math.min(balanceOf(owner), _convertToShares(_held(), Math.Rounding.Floor));
    }

    /// @inheritdoc IERC4626
    function deposit(uint256 assets, address receiver)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        _flush();
        return super.deposit(assets, receiver);
    }

    /// @inheritdoc IERC4626
    function mint(uint256 shares, address receiver) public override(ERC4626, IERC4626) nonReentrant returns (uint256) {
        _flush();
        return super.mint(shares, receiver);
    }

    /// @inheritdoc IERC4626
    function withdraw(uint256 assets, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        _flush();
        return super.withdraw(assets, receiver, owner);
    }

    /// @inheritdoc IERC4626
    function redeem(uint256 shares, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        _flush();
        return super.redeem(shares, receiver, owner);
    }

    // ---------------------------------------------------------------------------------------------
    // Endpoint
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILoanbridgeApp
    /// @dev Handles `OPEN_LOAN` only (any other type reverts `UnexpectedMessageType`). Checks in
    ///      shared/LOANS.md's order; the first failure records the loan as `Rejected`, moves nothing
    ///      and answers `LOAN_REJECTED`; otherwise disburses and answers `LOAN_ACTIVE`. Reverts
    ///      `PoolNotEndpoint`, the codec's decoding errors, and `PoolLoanExists` for a loan id
    ///      already answered (so a duplicate can never refund an active loan's collateral).
    function onPacket(uint32 srcEid, bytes32, bytes32, bytes calldata message) external nonReentrant {
        if (msg.sender != endpoint) revert PoolNotEndpoint(msg.sender);
        _flush();
        LoanMessageCodec.OpenLoan memory m = LoanMessageCodec.decodeOpenLoan(message);
        if (_loans[m.loanId].status != LoanStatus.None) revert PoolLoanExists(m.loanId);
        (uint8 reason, uint128 installmentAmount) = _rejectReason(srcEid, m);
        if (reason != 0) {
            _reject(srcEid, m.loanId, reason);
        } else {
            _open(srcEid, m, installmentAmount);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Anyone
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILendingPool
    function cancelExpired(uint32 srcEid, bytes32 borrower, uint64 vaultNonce, uint64 expiresAt)
        external
        nonReentrant
        returns (bytes32 loanId)
    {
        bytes32 vault = ILoanbridgeEndpointSender(endpoint).peer(address(this), srcEid);
        if (vault == bytes32(0)) revert PoolNoPeer(srcEid);
        _flush();
        loanId = LoanId.compute(srcEid, vault, borrower, vaultNonce, expiresAt);
        if (block.timestamp <= expiresAt) revert PoolCancelTooEarly(loanId, expiresAt);
        if (_loans[loanId].status != LoanStatus.None) revert PoolLoanExists(loanId);
        emit LoanCancelled(loanId, srcEid, borrower, vaultNonce, expiresAt, msg.sender);
        _reject(srcEid, loanId, LoanMessageCodec.REASON_EXPIRED);
    }

    /// @inheritdoc ILendingPool
    function repay(bytes32 loanId, uint256 amount) external nonReentrant returns (uint256 paid) {
        if (amount == 0) revert PoolZeroRepayment();
        Loan storage loan = _activeLoan(loanId);
        _flush();
        uint128 repaid;
        bool fullyRepaid;
        (paid, repaid, fullyRepaid) = _repay(loanId, loan, amount);

        IERC20(asset()).safeTransferFrom(msg.sender, address(this), paid);
        if (fullyRepaid) {
            _send(
                loan.srcEid,
                LoanMessageCodec.encodeRepaid(LoanMessageCodec.Repaid({loanId: loanId, amountRepaid: repaid}))
            );
        }
    }

    /// @inheritdoc ILendingPool
    function declareDefault(bytes32 loanId) external nonReentrant {
        Loan storage loan = _activeLoan(loanId);
        // A missed installment, not only the last, makes the loan defaultable.
        uint256 defaultableAfter = uint256(_nextDue(loan)) + gracePeriodSeconds;
        if (block.timestamp <= defaultableAfter) revert PoolLoanNotOverdue(loanId, defaultableAfter);
        uint32 srcEid = loan.srcEid;
        bytes32 beneficiary_ = _beneficiaryOf(srcEid);
        // The loan is past its first unpaid installment's due time: flushed out of pool assets
        // already (or now), so the write-off below changes nothing in them.
        _flush();
        _accrue(loanId, loan);

        (uint256 principal, uint128 outstanding) = _writeOff(loan, LoanStatus.Defaulted);
        emit LoanDefaulted(loanId, principal, outstanding, beneficiary_);

        _send(
            srcEid,
            LoanMessageCodec.encodeDefaulted(
                LoanMessageCodec.Seizure({loanId: loanId, outstanding: outstanding, beneficiary: beneficiary_})
            )
        );
    }

    /// @inheritdoc ILendingPool
    function liquidate(bytes32 loanId) external nonReentrant {
        Loan storage loan = _activeLoan(loanId);
        uint32 srcEid = loan.srcEid;
        _flush();
        uint256 value = _requireLiquidatable(loanId, loan);
        bytes32 beneficiary_ = _beneficiaryOf(srcEid);

        (uint256 principal, uint128 outstanding) = _writeOff(loan, LoanStatus.Liquidated);
        emit LoanLiquidated(loanId, principal, outstanding, beneficiary_, value);

        _send(
            srcEid,
            LoanMessageCodec.encodeLiquidated(
                LoanMessageCodec.Seizure({loanId: loanId, outstanding: outstanding, beneficiary: beneficiary_})
            )
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Owner and guardian
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILendingPool
    function setCollateral(uint32 remoteEid, bytes32 asset_, CollateralConfig calldata config)
        external
        onlyOwner
        nonReentrant
    {
        (uint16 maxLtv, uint16 liquidationLtv) = (config.maxLtvBps, config.liquidationLtvBps);
        bool removal = maxLtv == 0 && liquidationLtv == 0;
        if (!removal && (maxLtv == 0 || liquidationLtv <= maxLtv || liquidationLtv > BPS)) {
            revert PoolInvalidLtv(maxLtv, liquidationLtv);
        }
        if (removal) {
            delete _collateral[remoteEid][asset_];
        } else {
            _collateral[remoteEid][asset_] = config;
        }
        emit CollateralConfigured(remoteEid, asset_, maxLtv, liquidationLtv, removal ? bytes32(0) : config.priceId);
    }

    /// @inheritdoc ILendingPool
    function setLoanTerms(uint32 rateBps_, uint64 minTermSeconds_, uint64 maxTermSeconds_, uint64 gracePeriodSeconds_)
        external
        onlyOwner
        nonReentrant
    {
        if (rateBps_ > MAX_RATE_BPS) revert PoolRateAboveMax(rateBps_, MAX_RATE_BPS);
        if (minTermSeconds_ > maxTermSeconds_) revert PoolInvalidTermRange(minTermSeconds_, maxTermSeconds_);
        // Every open loan's bucket must have its own slot in the ring (contract notes).
        uint64 termLimit = MAX_TERM_BUCKETS * dueBucketSeconds;
        if (maxTermSeconds_ > termLimit) revert PoolMaxTermAboveBucketRing(maxTermSeconds_, termLimit);
        rateBps = rateBps_;
        minTermSeconds = minTermSeconds_;
        maxTermSeconds = maxTermSeconds_;
        gracePeriodSeconds = gracePeriodSeconds_;
        emit LoanTermsSet(rateBps_, minTermSeconds_, maxTermSeconds_, gracePeriodSeconds_);
    }

    /// @inheritdoc ILendingPool
    function setInstallmentTerms(uint16 maxInstallments_, uint64[4] calldata periods)
        external
        onlyOwner
        nonReentrant
    {
        bool valid = maxInstallments_ != 0 && maxInstallments_ <= MAX_INSTALLMENTS;
        uint64 maxTerm = maxTermSeconds;
        for (uint256 i = 0; i < periods.length; ++i) {
            if (periods[i] > maxTerm) valid = false;
        }
        if (!valid) revert PoolInvalidInstallmentTerms(maxInstallments_, periods);
        maxInstallments = maxInstallments_;
        _installmentPeriods = periods;
        emit InstallmentTermsSet(maxInstallments_, periods);
    }

    /// @inheritdoc ILendingPool
    function setBeneficiary(uint32 remoteEid, bytes32 beneficiary_) external onlyOwner nonReentrant {
        beneficiary[remoteEid] = beneficiary_;
        emit BeneficiarySet(remoteEid, beneficiary_);
    }

    /// @inheritdoc ILendingPool
    function setPriceFeed(IPriceFeed priceFeed_, uint64 maxPriceAge_) external onlyOwner nonReentrant {
        priceFeed = priceFeed_;
        maxPriceAge = maxPriceAge_;
        emit PriceFeedSet(address(priceFeed_), maxPriceAge_);
    }

    /// @inheritdoc ILendingPool
    function setGuardian(address guardian_) external onlyOwner nonReentrant {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @inheritdoc ILendingPool
    function pause() external nonReentrant {
        if (msg.sender != owner() && msg.sender != guardian) revert PoolNotGuardian(msg.sender);
        _pause();
    }

    /// @inheritdoc ILendingPool
    function unpause() external onlyOwner nonReentrant {
        _unpause();
    }

    /// @notice Disabled: reverts `PoolRenounceDisabled` for the owner
    ///         (`OwnableUnauthorizedAccount` for anyone else), so the pool always has an owner.
    /// @dev Renouncing would make a pause permanent and freeze the collateral settings, loan terms,
    ///      price source and beneficiaries.
    ///      Hand ownership over with `transferOwnership` and `acceptOwnership` instead.
    ///      `view` because it changes nothing (the compiler asks for it).
    function renounceOwnership() public view override onlyOwner {
        revert PoolRenounceDisabled();
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILendingPool
    function getLoan(bytes32 loanId) external view returns (Loan memory) {
        return _loans[loanId];
    }

    /// @inheritdoc ILendingPool
    function debtOf(bytes32 loanId) external view returns (uint256 principal, uint256 interest) {
        Loan storage loan = _loans[loanId];
        principal = loan.principal;
        interest = loan.interest;
        if (loan.status == LoanStatus.Active) interest = _saturated(loan, _interestSince(loan));
    }

    /// @inheritdoc ILendingPool
    function performing() external view returns (PerformingSums memory) {
        return _performingNow();
    }

    /// @inheritdoc ILendingPool
    function dueBucket(uint64 index) external view returns (PerformingSums memory sums) {
        // The slot holds bucket `index` only while it is in the live window: not yet due, and
        // within the ring from the stored cursor (slots before the first not-yet-due bucket may
        // still hold due, unflushed buckets).
        if (index < _firstNotDue(dueBucketSeconds) || index >= uint256(dueCursor) + DUE_BUCKETS) return sums;
        DueBucket storage bucket = _buckets[index % DUE_BUCKETS];
        sums = PerformingSums(bucket.principal, bucket.interest, bucket.rateWeight, bucket.anchor);
    }

    /// @inheritdoc ILendingPool
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
        )
    {
        Loan storage loan = _loans[loanId];
        installments = loan.installments;
        paidInstallments = loan.paidInstallments;
        periodSeconds = loan.periodSeconds;
        startTime = loan.startTime;
        installmentAmount = loan.installmentAmount;
        if (loan.status == LoanStatus.Active) nextDueTime = _nextDue(loan);
    }

    /// @inheritdoc ILendingPool
    function installmentPeriods() external view returns (uint64[4] memory) {
        return _installmentPeriods;
    }

    /// @inheritdoc ILendingPool
    function collateralConfig(uint32 remoteEid, bytes32 asset_) external view returns (CollateralConfig memory) {
        return _collateral[remoteEid][asset_];
    }

    // ---------------------------------------------------------------------------------------------
    // Loan internals
    // ---------------------------------------------------------------------------------------------

    /// @dev The first failing check of shared/LOANS.md's `OPEN_LOAN` table, as a reject reason
    ///      code (0 when every check passes), and the schedule's payment once the installment row
    ///      has passed.
    function _rejectReason(uint32 srcEid, LoanMessageCodec.OpenLoan memory m)
        private
        view
        returns (uint8 reason, uint128 installmentAmount)
    {
        if (paused()) return (LoanMessageCodec.REASON_PAUSED, 0);
        if (block.timestamp > m.expiresAt) return (LoanMessageCodec.REASON_EXPIRED, 0);
        if (
            m.termSeconds < minTermSeconds || m.termSeconds > maxTermSeconds || m.principal == 0
                || !_isRecipient(m.recipient)
        ) return (LoanMessageCodec.REASON_INVALID_TERMS, 0);
        bool allowed;
        (allowed, installmentAmount) = _schedulePayment(m);
        if (!allowed) return (LoanMessageCodec.REASON_INVALID_TERMS, 0);
        CollateralConfig memory config = _collateral[srcEid][m.collateralAsset];
        if (config.maxLtvBps == 0) return (LoanMessageCodec.REASON_UNSUPPORTED_COLLATERAL, 0);
        (bool fresh, uint256 price,) = _freshPrice(config.priceId);
        if (!fresh) return (LoanMessageCodec.REASON_UNSUPPORTED_COLLATERAL, 0);
        if (rateBps > m.maxRateBps) return (LoanMessageCodec.REASON_RATE_ABOVE_MAX, 0);
        uint256 value = LoanMath.collateralValue(m.collateralAmount, price);
        if (LoanMath.exceedsLtv(m.principal, value, config.maxLtvBps)) {
            return (LoanMessageCodec.REASON_LTV_TOO_HIGH, 0);
        }
        // The second bound keeps the interest aggregate's arithmetic far from overflow (see the
        // contract's notes); only a stablecoin with more than 2^128 base units could reach it.
        if (m.principal > _held() || uint256(_performingPrincipal) + m.principal > type(uint128).max) {
            return (LoanMessageCodec.REASON_INSUFFICIENT_LIQUIDITY, 0);
        }
    }

    /// @dev The installment row of the `OPEN_LOAN` table (shared/LOANS.md "Installments"): whether
    ///      the count is in `[1, maxInstallments]` and divides the term and, with more than one
    ///      installment, the period is one of `installmentPeriods` and the schedule's payment fits
    ///      128 bits; and that payment at the pool's rate. A bullet loan's payment is capped at
    ///      2^128 − 1 instead of refused: it decides nothing (its one installment is paid at zero
    ///      debt), and bullet loans keep the rules they had.
    function _schedulePayment(LoanMessageCodec.OpenLoan memory m)
        private
        view
        returns (bool allowed, uint128 installmentAmount)
    {
        uint16 n = m.installments;
        if (n == 0 || n > maxInstallments || m.termSeconds % n != 0) return (false, 0);
        uint64 period = m.termSeconds / n;
        if (n > 1 && !_isInstallmentPeriod(period)) return (false, 0);
        uint256 payment = Annuity.payment(m.principal, rateBps, period, n);
        if (payment > type(uint128).max) {
            if (n > 1) return (false, 0);
            payment = type(uint128).max;
        }
        return (true, uint128(payment));
    }

    /// @dev Whether `period` is a non-zero entry of `installmentPeriods` (0 marks an unused slot).
    function _isInstallmentPeriod(uint64 period) private view returns (bool) {
        if (period == 0) return false;
        uint64[4] memory periods = _installmentPeriods;
        return period == periods[0] || period == periods[1] || period == periods[2] || period == periods[3];
    }

    /// @dev Records the loan as `Rejected` and answers `LOAN_REJECTED`; moves nothing.
    function _reject(uint32 srcEid, bytes32 loanId, uint8 reason) private {
        Loan storage loan = _loans[loanId];
        loan.status = LoanStatus.Rejected;
        loan.srcEid = srcEid;
        emit LoanRejected(loanId, srcEid, reason);
        _send(
            srcEid,
            LoanMessageCodec.encodeLoanRejected(LoanMessageCodec.LoanRejected({loanId: loanId, reason: reason}))
        );
    }

    /// @dev Records the loan as `Active` with its schedule, books it in its first installment's
    ///      due bucket, disburses the principal and answers `LOAN_ACTIVE`.
    function _open(uint32 srcEid, LoanMessageCodec.OpenLoan memory m, uint128 installmentAmount) private {
        uint64 startTime = uint64(block.timestamp);
        // Rounded up to the bucket boundary (the borrower gets up to W − 1 s more). Fits: the term
        // is at most 62 × W and W at most a year. The last installment's due time.
        uint64 width = dueBucketSeconds;
        uint64 dueTime = (startTime + m.termSeconds + width - 1) / width * width;
        // The installment row passed: installments divides the term.
        uint64 period = m.termSeconds / m.installments;
        uint32 rate = rateBps;
        _loans[m.loanId] = Loan({
            status: LoanStatus.Active,
            srcEid: srcEid,
            rateBps: rate,
            dueTime: dueTime,
            lastAccrual: startTime,
            installments: m.installments,
            paidInstallments: 0,
            offBook: false,
            principal: m.principal,
            interest: 0,
            repaid: 0,
            collateralAmount: m.collateralAmount,
            collateralAsset: m.collateralAsset,
            startTime: startTime,
            periodSeconds: period,
            installmentAmount: installmentAmount
        });
        // Performing from now: its first due time is at least now, and the flush has brought the
        // cursor to now, so its bucket is live. Fits 64 bits: at most dueTime.
        uint64 firstDue = uint64(Annuity.dueTime(startTime, period, 1, width));
        uint256 weight = uint256(m.principal) * rate;
        _adjustBucket(firstDue, PerformingSums(m.principal, 0, weight, weight * startTime), _none());
        address recipient = EvmAddress.toAddress(m.recipient);
        emit LoanOpened(m.loanId, srcEid, m.borrower, recipient, m.principal, rate, startTime, dueTime);
        emit LoanScheduled(m.loanId, m.installments, period, installmentAmount);

        IERC20(asset()).safeTransfer(recipient, m.principal);
        _send(
            srcEid,
            LoanMessageCodec.encodeLoanActive(
                LoanMessageCodec.LoanActive({
                    loanId: m.loanId,
                    principal: m.principal,
                    rateBps: rate,
                    startTime: startTime,
                    dueTime: dueTime
                })
            )
        );
    }

    /// @dev Adds the interest accrued since the last accrual (shared/LOANS.md "Interest"),
    ///      saturated (`_saturated`), and moves the accrual time to now, even when the rounded-down
    ///      amount is zero. A performing loan moves its exact scaled interest `principal × rateBps
    ///      × elapsed` into its bucket's anchor (it has accrued: no longer pending) and the amount
    ///      added into the bucket's recorded interest; an overdue loan counts in no sum.
    function _accrue(bytes32 loanId, Loan storage loan) private {
        (uint256 scaled, uint256 added) = _accrueLoan(loanId, loan);
        if (scaled == 0) return;
        (bool isPerforming, uint64 due) = _booking(loan);
        if (isPerforming) _adjustBucket(due, PerformingSums(0, added, 0, scaled), _none());
    }

    /// @dev `_accrue` on the loan's record only; returns the exact scaled interest since the last
    ///      accrual and the (saturated, rounded-down) interest added, for the caller's bucket
    ///      update.
    function _accrueLoan(bytes32 loanId, Loan storage loan) private returns (uint256 scaled, uint256 added) {
        uint64 now_ = uint64(block.timestamp);
        uint64 elapsed = now_ - loan.lastAccrual;
        if (elapsed == 0) return (0, 0);
        // The numerator of `LoanMath.accruedInterest`: below 2^(128+17+64), no overflow.
        scaled = uint256(loan.principal) * loan.rateBps * elapsed;
        uint256 interest = _saturated(loan, scaled / _SCALE);
        added = interest - loan.interest;
        // Fits: `_saturated` caps it at 2^128 - 1 - principal.
        loan.interest = uint128(interest);
        loan.lastAccrual = now_;
        emit InterestAccrued(loanId, added, interest);
    }

    /// @dev The loan's interest after adding `added`, capped so that principal + interest never
    ///      exceeds 2^128 - 1: the debt stays a wire `uint128`, so repaying, defaulting or
    ///      liquidating it never fails on arithmetic.
    function _saturated(Loan storage loan, uint256 added) private view returns (uint256) {
        // Cannot underflow: principal + interest <= 2^128 - 1 is kept by every write.
        uint256 headroom;
        unchecked {
            headroom = type(uint128).max - uint256(loan.principal) - loan.interest;
        }
        return loan.interest + Math.min(added, headroom);
    }

    /// @dev `LoanMath.accruedInterest` on the outstanding principal since the last accrual.
    function _interestSince(Loan storage loan) private view returns (uint256) {
        return LoanMath.accruedInterest(loan.principal, loan.rateBps, uint64(block.timestamp) - loan.lastAccrual);
    }

    /// @dev Checks a liquidation at a fresh price: accrues interest, then requires
    ///      `debt * 10,000 > value * liquidationLtvBps`. Returns the collateral value.
    function _requireLiquidatable(bytes32 loanId, Loan storage loan) private returns (uint256 value) {
        (uint32 srcEid, bytes32 asset_) = (loan.srcEid, loan.collateralAsset);
        CollateralConfig memory config = _collateral[srcEid][asset_];
        if (config.maxLtvBps == 0) revert PoolCollateralNotConfigured(srcEid, asset_);
        (bool fresh, uint256 price, uint256 updatedAt) = _freshPrice(config.priceId);
        if (!fresh) revert PoolPriceUnavailable(config.priceId, price, updatedAt);
        _accrue(loanId, loan);

        value = LoanMath.collateralValue(loan.collateralAmount, price);
        uint256 debt = uint256(loan.principal) + loan.interest;
        if (!LoanMath.exceedsLtv(debt, value, config.liquidationLtvBps)) {
            // Reported only: floor(value * liquidationLtvBps / 10,000), the largest integer debt
            // that does not exceed the threshold (liquidationLtvBps <= 10,000: no overflow).
            revert PoolLoanHealthy(loanId, debt, Math.mulDiv(value, config.liquidationLtvBps, BPS));
        }
    }

    /// @dev Moves an active loan, accrued to now, to `status`, removing its principal and interest
    ///      from the pool's assets if it still counts there (lenders bear the loss); returns that
    ///      principal and the debt left unpaid (principal plus accrued interest).
    function _writeOff(Loan storage loan, LoanStatus status)
        private
        returns (uint256 principal, uint128 outstanding)
    {
        principal = loan.principal;
        uint256 interest = loan.interest;
        // Fits: interest saturates so that principal + interest <= 2^128 - 1.
        outstanding = uint128(principal + interest);
        // A performing loan (liquidated before its next due time) leaves its bucket whole, accrued
        // to now; an overdue one left pool assets when its bucket was flushed.
        (bool isPerforming, uint64 due) = _booking(loan);
        if (isPerforming) {
            uint256 weight = principal * loan.rateBps;
            _adjustBucket(due, _none(), PerformingSums(principal, interest, weight, weight * block.timestamp));
        }
        loan.status = status;
    }

    // ---------------------------------------------------------------------------------------------
    // Due buckets
    // ---------------------------------------------------------------------------------------------

    /// @dev The first bucket not yet due at `block.timestamp`: `⌈now / W⌉`. Bucket `b` is due
    ///      (its loans overdue) when `b × W < now`, i.e. when `b` is below this.
    function _firstNotDue(uint64 width) private view returns (uint64) {
        // Fits: block.timestamp < 2^64 − W in any real chain's lifetime.
        return uint64((block.timestamp + width - 1) / width);
    }

    /// @dev Whether an active loan still counts in pool assets, and the due time of the bucket it is
    ///      booked in: its first unpaid installment's. It counts until that due time (at the due
    ///      time itself it is on time; after `_flush` its bucket is live exactly then), and never
    ///      again once `offBook`.
    function _booking(Loan storage loan) private view returns (bool isPerforming, uint64 due) {
        if (loan.offBook) return (false, 0);
        due = _nextDue(loan);
        isPerforming = block.timestamp <= due;
    }

    /// @dev The due time of the loan's first unpaid installment; a bullet loan's `dueTime`, without
    ///      reading its schedule.
    function _nextDue(Loan storage loan) private view returns (uint64) {
        return loan.installments == 1 ? loan.dueTime : _dueOf(loan, loan.paidInstallments + 1);
    }

    /// @dev The due time of installment `index` (1-based) of the loan. Fits 64 bits: at most the
    ///      loan's dueTime.
    function _dueOf(Loan storage loan, uint256 index) private view returns (uint64) {
        return uint64(Annuity.dueTime(loan.startTime, loan.periodSeconds, index, dueBucketSeconds));
    }

    /// @dev Removes every due bucket from the performing totals and moves the cursor to the
    ///      first bucket not yet due. A pool idle for more than a ring visits each slot once
    ///      (`DUE_BUCKETS` at most): every bucket past those was empty, since an open loan's bucket
    ///      is at most 62 past the cursor of its opening.
    function _flush() private {
        uint64 cursor = dueCursor;
        uint64 target = _firstNotDue(dueBucketSeconds);
        if (cursor >= target) return;
        uint64 end = target - cursor > DUE_BUCKETS ? cursor + uint64(DUE_BUCKETS) : target;
        for (uint64 index = cursor; index < end; ++index) {
            DueBucket storage bucket = _buckets[index % DUE_BUCKETS];
            // An empty bucket has all its sums zero: every active loan has non-zero principal
            // (interest is paid first), and a loan leaving takes out exactly what it put in.
            uint128 principal = bucket.principal;
            if (principal == 0) continue;
            uint256 interest = bucket.interest;
            _performingPrincipal -= principal;
            _performingInterest -= interest;
            _rateWeight -= bucket.rateWeight;
            _anchor -= bucket.anchor;
            delete _buckets[index % DUE_BUCKETS];
            emit DueBucketFlushed(index, index * dueBucketSeconds, principal, interest);
        }
        dueCursor = target;
    }

    /// @dev The performing sums with every due bucket removed, as `_flush` would leave them.
    function _performingNow() private view returns (PerformingSums memory sums) {
        sums = PerformingSums(_performingPrincipal, _performingInterest, _rateWeight, _anchor);
        uint64 cursor = dueCursor;
        uint64 target = _firstNotDue(dueBucketSeconds);
        if (cursor >= target) return sums;
        uint64 end = target - cursor > DUE_BUCKETS ? cursor + uint64(DUE_BUCKETS) : target;
        for (uint64 index = cursor; index < end; ++index) {
            DueBucket storage bucket = _buckets[index % DUE_BUCKETS];
            uint128 principal = bucket.principal;
            if (principal == 0) continue;
            sums.principal -= principal;
            sums.interest -= bucket.interest;
            sums.rateWeight -= bucket.rateWeight;
            sums.anchor -= bucket.anchor;
        }
    }

    /// @dev `⌊(now × rateWeight − anchor) / (10,000 × 31,536,000)⌋`: the performing loans'
    ///      interest accrued since their last accruals, summed exactly and rounded down once.
    ///      Cannot underflow: each loan's anchor part is principal × rateBps × lastAccrual with
    ///      lastAccrual ≤ now; no overflow (contract notes).
    function _accruedSince(PerformingSums memory sums) private view returns (uint256) {
        return (block.timestamp * sums.rateWeight - sums.anchor) / _SCALE;
    }

    /// @dev Moves a performing loan's parts in the bucket of `dueTime` and in the totals: each sum
    ///      becomes `sum + add − sub`, written only when it changes. Cannot underflow: a loan takes
    ///      out at most what it put in (its anchor part is principal × rateBps × lastAccrual, and
    ///      callers accrue it to now first). Cannot overflow: the principal is bounded at open
    ///      (`InsufficientLiquidity`), the rest by the contract notes' bounds.
    function _adjustBucket(uint64 dueTime, PerformingSums memory add, PerformingSums memory sub) private {
        _adjustBucketOnly(dueTime, add, sub);
        if (add.principal != sub.principal) {
            // Fits: at most the performing principal, which the open checks keep below 2^128.
            _performingPrincipal = uint128(_performingPrincipal + add.principal - sub.principal);
        }
        if (add.interest != sub.interest) {
            _performingInterest = _performingInterest + add.interest - sub.interest;
        }
        if (add.rateWeight != sub.rateWeight) _rateWeight = _rateWeight + add.rateWeight - sub.rateWeight;
        if (add.anchor != sub.anchor) _anchor = _anchor + add.anchor - sub.anchor;
    }

    /// @dev `_adjustBucket` on the bucket of `dueTime` alone: for a loan moving between buckets,
    ///      which leaves the totals as they are.
    function _adjustBucketOnly(uint64 dueTime, PerformingSums memory add, PerformingSums memory sub) private {
        DueBucket storage bucket = _buckets[(dueTime / dueBucketSeconds) % DUE_BUCKETS];
        if (add.principal != sub.principal) {
            // Fits: at most the performing principal, which the open checks keep below 2^128.
            bucket.principal = uint128(bucket.principal + add.principal - sub.principal);
        }
        if (add.interest != sub.interest) bucket.interest = bucket.interest + add.interest - sub.interest;
        if (add.rateWeight != sub.rateWeight) {
            bucket.rateWeight = bucket.rateWeight + add.rateWeight - sub.rateWeight;
        }
        if (add.anchor != sub.anchor) bucket.anchor = bucket.anchor + add.anchor - sub.anchor;
    }

    /// @dev Accrues the loan and applies a payment of up to `amount`: accrued interest first,
    ///      then principal, capped at the debt. Updates the loan's principal and interest and, for
    ///      a performing loan (`isPerforming`), its bucket, that of `due` (accrual and payment in
    ///      one update); an overdue loan's payment counts only in `held`.
    function _pay(bytes32 loanId, Loan storage loan, uint256 amount, bool isPerforming, uint64 due)
        private
        returns (uint256 paid, uint256 interestPaid, uint256 principalPaid)
    {
        (uint256 scaled, uint256 added) = _accrueLoan(loanId, loan);
        uint256 principal = loan.principal;
        uint256 interest = loan.interest;
        // At most 2^128 - 1: interest saturates at the headroom above principal.
        paid = Math.min(amount, principal + interest);
        interestPaid = Math.min(paid, interest);
        // Cannot underflow: interestPaid <= min(paid, interest); principalPaid <= principal since
        // paid <= principal + interest.
        unchecked {
            principalPaid = paid - interestPaid;
            // Both fit: they only decrease from uint128 values.
            loan.principal = uint128(principal - principalPaid);
            loan.interest = uint128(interest - interestPaid);
        }
        if (isPerforming) _repayInBucket(loan, due, scaled, added, principalPaid, interestPaid);
    }

    /// @dev `repay`'s effects: applies the payment (`_pay`), adds it to `repaid`, completes the
    ///      installments it covers and, at zero debt, marks the loan `Repaid`. Returns the amount
    ///      taken, the new `repaid` and whether the loan is repaid.
    function _repay(bytes32 loanId, Loan storage loan, uint256 amount)
        private
        returns (uint256 paid, uint128 repaid, bool fullyRepaid)
    {
        // Where the loan is booked before the payment (its first unpaid installment's bucket).
        (bool isPerforming, uint64 due) = _booking(loan);
        uint256 interestPaid;
        uint256 principalPaid;
        (paid, interestPaid, principalPaid) = _pay(loanId, loan, amount, isPerforming, due);
        (uint128 principal, uint128 interest) = (loan.principal, loan.interest);
        // Saturates rather than fail the repayment: the wire's amountRepaid is a uint128.
        repaid = uint128(Math.min(uint256(loan.repaid) + paid, type(uint128).max));
        loan.repaid = repaid;
        emit LoanRepayment(loanId, msg.sender, interestPaid, principalPaid, principal, interest);
        _completeInstallments(loanId, loan, repaid, principal, isPerforming, due);

        // Interest is paid first and stops accruing at zero principal, so zero principal means
        // zero debt.
        fullyRepaid = principal == 0;
        if (fullyRepaid) {
            loan.status = LoanStatus.Repaid;
            emit LoanRepaid(loanId, repaid);
        }
    }

    /// @dev A performing loan's repayment in its bucket (that of `due`): its accrual (`scaled`,
    ///      `added`) in, what it paid out, in one update.
    function _repayInBucket(
        Loan storage loan,
        uint64 due,
        uint256 scaled,
        uint256 added,
        uint256 principalPaid,
        uint256 interestPaid
    ) private {
        uint256 weight = principalPaid * loan.rateBps;
        _adjustBucket(
            due,
            PerformingSums(0, added, 0, scaled),
            PerformingSums(principalPaid, interestPaid, weight, weight * block.timestamp)
        );
    }

    /// @dev Completes the installments the loan's cumulative `repaid` now covers (shared/LOANS.md
    ///      "Repayment"): k < n once `repaid ≥ k × installmentAmount`, all n once the debt is zero
    ///      (`principal` zero: interest is paid first). Emits `Payment` for each, in order. A loan
    ///      with debt left that was performing (`isPerforming`, booked in the bucket of `due`)
    ///      moves, accrued to now and after its payment, to the bucket of its new first unpaid
    ///      installment; one that was not (an installment overdue) is `offBook` for good. A bullet
    ///      loan reads no schedule.
    function _completeInstallments(
        bytes32 loanId,
        Loan storage loan,
        uint256 repaid,
        uint256 principal,
        bool isPerforming,
        uint64 due
    ) private {
        uint16 n = loan.installments;
        uint16 paidBefore = loan.paidInstallments;
        // A bullet loan's one installment is the rest of `repaid`, whatever this amount.
        uint256 installmentAmount = n == 1 ? 0 : loan.installmentAmount;
        uint16 paidNow = paidBefore;
        if (principal == 0) paidNow = n;
        else if (n > 1) paidNow = Annuity.paidInstallments(repaid, installmentAmount, n);
        if (paidNow == paidBefore) return;
        loan.paidInstallments = paidNow;
        for (uint16 k = paidBefore + 1; k <= paidNow; ++k) {
            emit Payment(loanId, k, Annuity.amountOf(repaid, installmentAmount, n, k), principal);
        }
        // A repaid loan's payment took its sums out of its bucket.
        if (principal == 0) return;
        if (!isPerforming) {
            loan.offBook = true;
            return;
        }
        uint64 next = _dueOf(loan, paidNow + 1);
        if (next == due) return;
        uint256 weight = principal * loan.rateBps;
        PerformingSums memory sums = PerformingSums(principal, loan.interest, weight, weight * block.timestamp);
        _adjustBucketOnly(due, _none(), sums);
        _adjustBucketOnly(next, sums, _none());
    }

    /// @dev All-zero sums: "nothing" on one side of `_adjustBucket`.
    function _none() private pure returns (PerformingSums memory) {
        return PerformingSums(0, 0, 0, 0);
    }

    /// @dev The loan, which must be `Active` (else `PoolLoanNotActive`).
    function _activeLoan(bytes32 loanId) private view returns (Loan storage loan) {
        loan = _loans[loanId];
        LoanStatus status = loan.status;
        if (status != LoanStatus.Active) revert PoolLoanNotActive(loanId, status);
    }

    /// @dev The beneficiary on `remoteEid`, which must be set (else `PoolBeneficiaryNotSet`).
    function _beneficiaryOf(uint32 remoteEid) private view returns (bytes32 beneficiary_) {
        beneficiary_ = beneficiary[remoteEid];
        if (beneficiary_ == bytes32(0)) revert PoolBeneficiaryNotSet(remoteEid);
    }

    /// @dev The feed's price for `priceId` and whether it is usable: non-zero, with a timestamp
    ///      neither zero, in the future, nor older than `maxPriceAge`. No feed means no price.
    function _freshPrice(bytes32 priceId) private view returns (bool fresh, uint256 price, uint256 updatedAt) {
        IPriceFeed feed = priceFeed;
        if (address(feed) == address(0)) return (false, 0, 0);
        (price, updatedAt) = feed.price(priceId);
        fresh = price != 0 && updatedAt != 0 && updatedAt <= block.timestamp
            && block.timestamp - updatedAt <= maxPriceAge;
    }

    /// @dev Whether a wire recipient can receive the principal here: a non-zero EVM address
    ///      (upper 12 bytes zero, shared/SPEC.md) other than the pool itself, whose balance is
    ///      its assets (a loan paid to the pool would count its principal twice).
    function _isRecipient(bytes32 recipient) private view returns (bool) {
        return uint256(recipient) >> 160 == 0 && recipient != bytes32(0)
            && recipient != EvmAddress.toBytes32(address(this));
    }

    /// @dev Sends a loan message to the peer app on `dstEid` through the endpoint (no fee).
    function _send(uint32 dstEid, bytes memory message) private {
        ILoanbridgeEndpointSender(endpoint).send(dstEid, message);
    }

    /// @dev The stablecoin the pool holds.
    function _held() private view returns (uint256) {
        return IERC20(asset()).balanceOf(address(this));
    }

    /// @dev See the contract's notes: shares carry `DECIMALS_OFFSET` extra decimals.
    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }
}
