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
///      Interest counts in `totalAssets` as it accrues (shared/LOANS.md "Interest in pool
///      assets"): `pendingScaled` holds, exactly, every active loan's `principal × rateBps ×
///      (now − lastAccrual)`, brought forward by `rateWeight × elapsed` before any loan changes;
///      a loan's accrual moves its exact share out of it and its rounded-down interest into
///      `totalInterest`. Bounds: rates ≤ `MAX_RATE_BPS` (17 bits) and `totalPrincipal` ≤ 2^128 − 1
///      (a larger loan is answered `InsufficientLiquidity`), so `rateWeight` < 2^145 and
///      `pendingScaled` < 2^209; a loan's interest saturates so that its principal + interest
///      ≤ 2^128 − 1 (the wire's `uint128`), so closing a loan never fails on arithmetic.
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

    /// @dev `BPS × YEAR_SECONDS`: `pendingScaled` over this is interest in base units.
    uint256 private constant _SCALE = LoanMath.BPS * LoanMath.SECONDS_PER_YEAR;

    /// @inheritdoc ILendingPool
    address public immutable endpoint;

    /// @inheritdoc ILendingPool
    uint256 public totalPrincipal;
    /// @inheritdoc ILendingPool
    uint256 public totalInterest;
    /// @inheritdoc ILendingPool
    uint256 public pendingScaled;
    // One slot: `_sync` writes `lastUpdate` and every loan change then rewrites `rateWeight` warm.
    /// @inheritdoc ILendingPool
    uint192 public rateWeight;
    /// @inheritdoc ILendingPool
    uint64 public lastUpdate;

    /// @inheritdoc ILendingPool
    uint32 public rateBps;
    /// @inheritdoc ILendingPool
    uint64 public minTermSeconds;
    /// @inheritdoc ILendingPool
    uint64 public maxTermSeconds;
    /// @inheritdoc ILendingPool
    uint64 public gracePeriodSeconds;

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
    /// @param name_ Share token name.
    /// @param symbol_ Share token symbol.
    constructor(
        IERC20 stablecoin,
        address endpoint_,
        address initialOwner,
        string memory name_,
        string memory symbol_
    ) ERC20(name_, symbol_) ERC4626(stablecoin) Ownable(initialOwner) {
        endpoint = endpoint_;
    }

    // ---------------------------------------------------------------------------------------------
    // ERC-4626
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc IERC4626
    /// @dev Stablecoin held plus the active loans' principal and interest accrued to now: the
    ///      loans' recorded interest plus `⌊(pendingScaled + rateWeight × (now − lastUpdate)) /
    ///      (10,000 × 31,536,000)⌋`, at most one base unit per loan above the sum of the loans' own
    ///      rounded accruals. A loan whose debt reaches the 2^128 - 1 saturation is counted with the
    ///      interest it would have charged unsaturated until its next accrual moves only the capped
    ///      amount: out of reach of any real stablecoin (2^128 base units).
    function totalAssets() public view override(ERC4626, IERC4626) returns (uint256) {
        uint256 pending = pendingScaled + uint256(rateWeight) * (block.timestamp - lastUpdate);
        return _held() + totalPrincipal + totalInterest + pending / _SCALE;
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
        return super.deposit(assets, receiver);
    }

    /// @inheritdoc IERC4626
    function mint(uint256 shares, address receiver) public override(ERC4626, IERC4626) nonReentrant returns (uint256) {
        return super.mint(shares, receiver);
    }

    /// @inheritdoc IERC4626
    function withdraw(uint256 assets, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
        return super.withdraw(assets, receiver, owner);
    }

    /// @inheritdoc IERC4626
    function redeem(uint256 shares, address receiver, address owner)
        public
        override(ERC4626, IERC4626)
        nonReentrant
        returns (uint256)
    {
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
        LoanMessageCodec.OpenLoan memory m = LoanMessageCodec.decodeOpenLoan(message);
        if (_loans[m.loanId].status != LoanStatus.None) revert PoolLoanExists(m.loanId);
        uint8 reason = _rejectReason(srcEid, m);
        if (reason != 0) {
            _reject(srcEid, m.loanId, reason);
        } else {
            _open(srcEid, m);
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
        _accrue(loanId, loan);

        uint256 principal = loan.principal;
        uint256 interest = loan.interest;
        // At most 2^128 - 1: interest saturates at the headroom above principal.
        paid = Math.min(amount, principal + interest);
        uint256 interestPaid = Math.min(paid, interest);
        // Cannot underflow: interestPaid <= min(paid, interest); principalPaid <= principal since
        // paid <= principal + interest; the totals and the weight sum over the active loans, this
        // one's included (the accrual above moved its interest into totalInterest).
        uint256 principalPaid;
        unchecked {
            principalPaid = paid - interestPaid;
            principal -= principalPaid;
            interest -= interestPaid;
            totalPrincipal -= principalPaid;
            totalInterest -= interestPaid;
            // Fits: principalPaid * rateBps <= this loan's part of rateWeight.
            rateWeight -= uint192(principalPaid * loan.rateBps);
        }
        // Saturates rather than fail the repayment: the wire's amountRepaid is a uint128.
        uint128 repaid = uint128(Math.min(uint256(loan.repaid) + paid, type(uint128).max));
        // Both fit: they only decreased from uint128 values.
        loan.principal = uint128(principal);
        loan.interest = uint128(interest);
        loan.repaid = repaid;
        emit LoanRepayment(loanId, msg.sender, interestPaid, principalPaid, principal, interest);

        // Interest is paid first and stops accruing at zero principal, so zero principal means
        // zero debt.
        bool fullyRepaid = principal == 0;
        if (fullyRepaid) {
            loan.status = LoanStatus.Repaid;
            emit LoanRepaid(loanId, repaid);
        }

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
        uint256 defaultableAfter = uint256(loan.dueTime) + gracePeriodSeconds;
        if (block.timestamp <= defaultableAfter) revert PoolLoanNotOverdue(loanId, defaultableAfter);
        uint32 srcEid = loan.srcEid;
        bytes32 beneficiary_ = _beneficiaryOf(srcEid);
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
        rateBps = rateBps_;
        minTermSeconds = minTermSeconds_;
        maxTermSeconds = maxTermSeconds_;
        gracePeriodSeconds = gracePeriodSeconds_;
        emit LoanTermsSet(rateBps_, minTermSeconds_, maxTermSeconds_, gracePeriodSeconds_);
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
    function collateralConfig(uint32 remoteEid, bytes32 asset_) external view returns (CollateralConfig memory) {
        return _collateral[remoteEid][asset_];
    }

    // ---------------------------------------------------------------------------------------------
    // Loan internals
    // ---------------------------------------------------------------------------------------------

    /// @dev The first failing check of shared/LOANS.md's `OPEN_LOAN` table, as a reject reason
    ///      code; 0 when every check passes.
    function _rejectReason(uint32 srcEid, LoanMessageCodec.OpenLoan memory m) private view returns (uint8) {
        if (paused()) return LoanMessageCodec.REASON_PAUSED;
        if (block.timestamp > m.expiresAt) return LoanMessageCodec.REASON_EXPIRED;
        if (
            m.termSeconds < minTermSeconds || m.termSeconds > maxTermSeconds || m.principal == 0
                || !_isRecipient(m.recipient)
        ) return LoanMessageCodec.REASON_INVALID_TERMS;
        CollateralConfig memory config = _collateral[srcEid][m.collateralAsset];
        if (config.maxLtvBps == 0) return LoanMessageCodec.REASON_UNSUPPORTED_COLLATERAL;
        (bool fresh, uint256 price,) = _freshPrice(config.priceId);
        if (!fresh) return LoanMessageCodec.REASON_UNSUPPORTED_COLLATERAL;
        if (rateBps > m.maxRateBps) return LoanMessageCodec.REASON_RATE_ABOVE_MAX;
        uint256 value = LoanMath.collateralValue(m.collateralAmount, price);
        if (LoanMath.exceedsLtv(m.principal, value, config.maxLtvBps)) return LoanMessageCodec.REASON_LTV_TOO_HIGH;
        // The second bound keeps the interest aggregate's arithmetic far from overflow (see the
        // contract's notes); only a stablecoin with more than 2^128 base units could reach it.
        if (m.principal > _held() || totalPrincipal + m.principal > type(uint128).max) {
            return LoanMessageCodec.REASON_INSUFFICIENT_LIQUIDITY;
        }
        return 0;
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

    /// @dev Records the loan as `Active`, disburses the principal and answers `LOAN_ACTIVE`.
    function _open(uint32 srcEid, LoanMessageCodec.OpenLoan memory m) private {
        uint64 startTime = uint64(block.timestamp);
        uint64 dueTime = startTime + m.termSeconds;
        uint32 rate = rateBps;
        _loans[m.loanId] = Loan({
            status: LoanStatus.Active,
            srcEid: srcEid,
            rateBps: rate,
            dueTime: dueTime,
            lastAccrual: startTime,
            principal: m.principal,
            interest: 0,
            repaid: 0,
            collateralAmount: m.collateralAmount,
            collateralAsset: m.collateralAsset
        });
        _sync();
        totalPrincipal += m.principal;
        // Fits: rateWeight <= totalPrincipal * MAX_RATE_BPS < 2^145 (contract notes).
        rateWeight += uint192(uint256(m.principal) * rate);
        address recipient = EvmAddress.toAddress(m.recipient);
        emit LoanOpened(m.loanId, srcEid, m.borrower, recipient, m.principal, rate, startTime, dueTime);

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

    /// @dev Brings `pendingScaled` to now. Called before any change to `rateWeight` or to a loan's
    ///      accrual, so `pendingScaled` is always Σ principal × rateBps × (now − lastAccrual).
    ///      Cannot overflow: `rateWeight` < 2^145 and the result stays below 2^209 (contract notes).
    function _sync() private {
        uint64 now_ = uint64(block.timestamp);
        uint64 last = lastUpdate;
        if (now_ == last) return;
        pendingScaled += uint256(rateWeight) * (now_ - last);
        lastUpdate = now_;
    }

    /// @dev Adds the interest accrued since the last accrual (shared/LOANS.md "Interest"),
    ///      saturated (`_saturated`), and moves the accrual time to now, even when the rounded-down
    ///      amount is zero. Moves the loan's exact scaled interest out of `pendingScaled` and the
    ///      amount added into `totalInterest`.
    function _accrue(bytes32 loanId, Loan storage loan) private {
        uint64 now_ = uint64(block.timestamp);
        uint64 elapsed = now_ - loan.lastAccrual;
        if (elapsed == 0) return;
        _sync();
        // The numerator of `LoanMath.accruedInterest`: below 2^(128+17+64), no overflow.
        uint256 scaled = uint256(loan.principal) * loan.rateBps * elapsed;
        uint256 interest = _saturated(loan, scaled / _SCALE);
        uint256 added = interest - loan.interest;
        // Never underflows: since the loan's last accrual, `_sync` has added its `principal ×
        // rateBps` (part of `rateWeight` all that time) per second to `pendingScaled`.
        pendingScaled -= scaled;
        totalInterest += added;
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
    ///      from the pool's assets (lenders bear the loss); returns that principal and the debt left
    ///      unpaid (principal plus accrued interest).
    function _writeOff(Loan storage loan, LoanStatus status)
        private
        returns (uint256 principal, uint128 outstanding)
    {
        principal = loan.principal;
        uint256 interest = loan.interest;
        // Fits: interest saturates so that principal + interest <= 2^128 - 1.
        outstanding = uint128(principal + interest);
        loan.status = status;
        // Cannot underflow: the totals and the weight sum over the active loans, this one's
        // included.
        unchecked {
            totalPrincipal -= principal;
            totalInterest -= interest;
            // Fits: principal * rateBps is this loan's part of rateWeight.
            rateWeight -= uint192(principal * loan.rateBps);
        }
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
