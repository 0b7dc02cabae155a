// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILoanbridgeApp} from "./interfaces/ILoanbridgeApp.sol";
import {ICollateralVault} from "./interfaces/ICollateralVault.sol";
import {ILoanbridgeEndpointSender} from "./interfaces/ILoanbridgeEndpoint.sol";
import {EvmAddress} from "./libraries/EvmAddress.sol";
import {LoanId} from "./libraries/LoanId.sol";
import {LoanMessageCodec} from "./libraries/LoanMessageCodec.sol";

/// @title CollateralVault
/// @notice The collateral chain's half of a loan (shared/LOANS.md "Vault").
/// @dev Every external state-changing function is `nonReentrant` and follows
///      checks-effects-interactions: a loan's state changes before its collateral moves, so
///      collateral moves at most once. ETH payouts are pushed with a bounded gas stipend; a
///      recipient that reverts gets a `claim`able balance instead, so no borrower can make a
///      message delivery fail.
contract CollateralVault is ICollateralVault, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Gas forwarded to an ETH recipient on a push payout: enough for smart-contract
    ///         wallets, small enough that a recipient burning it all leaves the delivery plenty.
    uint256 public constant NATIVE_PUSH_GAS = 100_000;

    /// @inheritdoc ICollateralVault
    address public immutable endpoint;
    /// @inheritdoc ICollateralVault
    uint32 public immutable localEid;
    /// @inheritdoc ICollateralVault
    uint32 public immutable lendingEid;

    /// @inheritdoc ICollateralVault
    uint64 public requestTtl;
    /// @inheritdoc ICollateralVault
    uint64 public nonce;
    /// @inheritdoc ICollateralVault
    uint256 public totalClaimable;
    /// @inheritdoc ICollateralVault
    mapping(address account => uint256) public claimable;

    mapping(address asset => bool) private _allowedAssets;
    mapping(bytes32 loanId => Loan) private _loans;

    /// @param endpoint_ The local endpoint (sends `OPEN_LOAN`, delivers answers).
    /// @param lendingEid_ The lending chain's endpoint id.
    /// @param requestTtl_ Seconds from `open` to `expiresAt`.
    /// @param initialOwner Manages the allow-list and the request time-to-live.
    constructor(address endpoint_, uint32 lendingEid_, uint64 requestTtl_, address initialOwner)
        Ownable(initialOwner)
    {
        if (requestTtl_ == 0) revert VaultZeroRequestTtl();
        endpoint = endpoint_;
        localEid = ILoanbridgeEndpointSender(endpoint_).localEid();
        lendingEid = lendingEid_;
        requestTtl = requestTtl_;
        emit RequestTtlSet(requestTtl_);
    }

    // ---------------------------------------------------------------------------------------------
    // Borrower and anyone
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ICollateralVault
    function open(
        address asset,
        uint128 collateralAmount,
        uint128 principal,
        uint32 maxRateBps,
        uint64 termSeconds,
        uint16 installments,
        bytes32 recipient
    ) external payable nonReentrant returns (bytes32 loanId) {
        if (collateralAmount == 0) revert VaultZeroCollateral();
        if (principal == 0) revert VaultZeroPrincipal();
        if (installments == 0) revert VaultZeroInstallments();
        if (recipient == bytes32(0)) revert VaultZeroRecipient();
        if (!isAssetAllowed(asset)) revert VaultAssetNotAllowed(asset);
        uint256 expectedValue = asset == address(0) ? collateralAmount : 0;
        if (msg.value != expectedValue) revert VaultValueMismatch(expectedValue, msg.value);

        LoanMessageCodec.OpenLoan memory m = LoanMessageCodec.OpenLoan({
            loanId: bytes32(0),
            borrower: EvmAddress.toBytes32(msg.sender),
            recipient: recipient,
            collateralAsset: EvmAddress.toBytes32(asset),
            collateralAmount: collateralAmount,
            principal: principal,
            maxRateBps: maxRateBps,
            termSeconds: termSeconds,
            expiresAt: uint64(block.timestamp) + requestTtl,
            installments: installments
        });
        loanId = _request(m, asset);

        if (asset != address(0)) _pullToken(IERC20(asset), collateralAmount);
        ILoanbridgeEndpointSender(endpoint).send(lendingEid, LoanMessageCodec.encodeOpenLoan(m));
    }

    /// @inheritdoc ICollateralVault
    function claim() external nonReentrant returns (uint256 amount) {
        amount = claimable[msg.sender];
        if (amount == 0) revert VaultNothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        // Cannot underflow: totalClaimable is the sum of all claimable balances.
        unchecked {
            totalClaimable -= amount;
        }
        emit Claimed(msg.sender, amount);
        if (!_sendNative(msg.sender, amount, gasleft())) revert VaultClaimFailed(msg.sender, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Endpoint
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ILoanbridgeApp
    /// @dev Dispatches only to the loan handlers. Reverts `VaultNotEndpoint`,
    ///      `VaultUnexpectedSource`, the codec's decoding errors, `VaultUnexpectedMessageType` for
    ///      `OPEN_LOAN`, `VaultUnexpectedLoanState`, `VaultZeroBeneficiary`, and
    ///      `EvmAddress.NotAnEvmAddress` for a beneficiary that is not an EVM address.
    function onPacket(uint32 srcEid, bytes32, bytes32, bytes calldata message) external nonReentrant {
        if (msg.sender != endpoint) revert VaultNotEndpoint(msg.sender);
        if (srcEid != lendingEid) revert VaultUnexpectedSource(srcEid);
        uint8 messageType = LoanMessageCodec.messageType(message);
        if (messageType == LoanMessageCodec.LOAN_ACTIVE) {
            _onLoanActive(LoanMessageCodec.decodeLoanActive(message));
        } else if (messageType == LoanMessageCodec.LOAN_REJECTED) {
            _onLoanRejected(LoanMessageCodec.decodeLoanRejected(message));
        } else if (messageType == LoanMessageCodec.REPAID) {
            _onRepaid(LoanMessageCodec.decodeRepaid(message));
        } else if (messageType == LoanMessageCodec.DEFAULTED) {
            _onSeizure(LoanMessageCodec.decodeDefaulted(message), false);
        } else if (messageType == LoanMessageCodec.LIQUIDATED) {
            _onSeizure(LoanMessageCodec.decodeLiquidated(message), true);
        } else {
            revert VaultUnexpectedMessageType(messageType);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Owner
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ICollateralVault
    function setAssetAllowed(address asset, bool allowed) external onlyOwner nonReentrant {
        if (asset == address(0)) revert VaultAssetNotAllowed(asset);
        _allowedAssets[asset] = allowed;
        emit AssetAllowed(asset, allowed);
    }

    /// @inheritdoc ICollateralVault
    function setRequestTtl(uint64 requestTtl_) external onlyOwner nonReentrant {
        if (requestTtl_ == 0) revert VaultZeroRequestTtl();
        requestTtl = requestTtl_;
        emit RequestTtlSet(requestTtl_);
    }

    /// @notice Disabled: reverts `VaultRenounceDisabled` for the owner
    ///         (`OwnableUnauthorizedAccount` for anyone else), so the vault always has an owner.
    /// @dev Renouncing would freeze the asset allow-list and the request time-to-live.
    ///      Hand ownership over with `transferOwnership` and `acceptOwnership` instead.
    ///      `view` because it changes nothing (the compiler asks for it).
    function renounceOwnership() public view override onlyOwner {
        revert VaultRenounceDisabled();
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @inheritdoc ICollateralVault
    function isAssetAllowed(address asset) public view returns (bool) {
        return asset == address(0) || _allowedAssets[asset];
    }

    /// @inheritdoc ICollateralVault
    function getLoan(bytes32 loanId) external view returns (Loan memory) {
        return _loans[loanId];
    }

    /// @inheritdoc ICollateralVault
    function computeLoanId(address borrower, uint64 loanNonce, uint64 expiresAt) public view returns (bytes32) {
        return LoanId.compute(
            localEid, EvmAddress.toBytes32(address(this)), EvmAddress.toBytes32(borrower), loanNonce, expiresAt
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Message handlers
    // ---------------------------------------------------------------------------------------------

    /// @dev `LOAN_ACTIVE`: `Requested -> Active`, recording the terms the pool granted.
    function _onLoanActive(LoanMessageCodec.LoanActive memory m) private {
        Loan storage loan = _loans[m.loanId];
        _requireState(m.loanId, loan, LoanState.Requested);
        loan.state = LoanState.Active;
        loan.principal = m.principal;
        loan.rateBps = m.rateBps;
        loan.dueTime = m.dueTime;
        emit LoanActivated(m.loanId, m.principal, m.rateBps, m.startTime, m.dueTime);
    }

    /// @dev `LOAN_REJECTED`: `Requested -> Refunded`, collateral back to the borrower. The only
    ///      refund: it is proven by the lending chain, never inferred from elapsed time.
    function _onLoanRejected(LoanMessageCodec.LoanRejected memory m) private {
        Loan storage loan = _loans[m.loanId];
        _requireState(m.loanId, loan, LoanState.Requested);
        loan.state = LoanState.Refunded;
        (address borrower, address asset, uint256 amount) = (loan.borrower, loan.asset, loan.collateralAmount);
        emit LoanRefunded(m.loanId, borrower, amount, m.reason);
        _payout(asset, borrower, amount);
    }

    /// @dev `REPAID`: `Active -> Released`, collateral to the borrower.
    function _onRepaid(LoanMessageCodec.Repaid memory m) private {
        Loan storage loan = _loans[m.loanId];
        _requireState(m.loanId, loan, LoanState.Active);
        loan.state = LoanState.Released;
        (address borrower, address asset, uint256 amount) = (loan.borrower, loan.asset, loan.collateralAmount);
        emit CollateralReleased(m.loanId, borrower, amount, m.amountRepaid);
        _payout(asset, borrower, amount);
    }

    /// @dev `DEFAULTED` / `LIQUIDATED`: `Active -> Seized`, collateral to the beneficiary.
    function _onSeizure(LoanMessageCodec.Seizure memory m, bool liquidated) private {
        Loan storage loan = _loans[m.loanId];
        _requireState(m.loanId, loan, LoanState.Active);
        address beneficiary = EvmAddress.toAddress(m.beneficiary);
        if (beneficiary == address(0)) revert VaultZeroBeneficiary(m.loanId);
        loan.state = LoanState.Seized;
        (address asset, uint256 amount) = (loan.asset, loan.collateralAmount);
        emit CollateralSeized(m.loanId, beneficiary, amount, m.outstanding, liquidated);
        _payout(asset, beneficiary, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Private helpers
    // ---------------------------------------------------------------------------------------------

    /// @dev Assigns the next nonce and the loan id (written into `m`), records the loan as
    ///      `Requested` and emits `LoanRequested`.
    function _request(LoanMessageCodec.OpenLoan memory m, address asset) private returns (bytes32 loanId) {
        uint64 loanNonce = ++nonce;
        loanId = computeLoanId(msg.sender, loanNonce, m.expiresAt);
        m.loanId = loanId;
        _loans[loanId] = Loan({
            borrower: msg.sender,
            expiresAt: m.expiresAt,
            state: LoanState.Requested,
            asset: asset,
            dueTime: 0,
            rateBps: 0,
            collateralAmount: m.collateralAmount,
            principal: m.principal
        });
        emit LoanRequested(
            loanId,
            msg.sender,
            asset,
            m.collateralAmount,
            m.principal,
            m.maxRateBps,
            m.termSeconds,
            m.installments,
            m.recipient,
            m.expiresAt,
            loanNonce
        );
    }

    /// @dev Reverts `VaultUnexpectedLoanState` unless the loan is in `expected`.
    function _requireState(bytes32 loanId, Loan storage loan, LoanState expected) private view {
        LoanState state = loan.state;
        if (state != expected) revert VaultUnexpectedLoanState(loanId, state);
    }

    /// @dev Pulls `amount` of `token` from the caller and requires the vault's balance to grow by
    ///      exactly that much, which rejects fee-on-transfer and rebasing tokens.
    function _pullToken(IERC20 token, uint256 amount) private {
        uint256 balanceBefore = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 balanceAfter = token.balanceOf(address(this));
        // A token whose balance shrinks on receipt yields a huge difference here, not a wrap
        // that passes: the equality check below rejects it either way.
        uint256 received;
        unchecked {
            received = balanceAfter - balanceBefore;
        }
        if (received != amount) revert VaultTransferAmountMismatch(address(token), amount, received);
    }

    /// @dev Sends collateral out. ERC-20s are transferred (a revert is the endpoint's to retry);
    ///      ETH is pushed with `NATIVE_PUSH_GAS`, and credited to `claimable` if the push fails.
    function _payout(address asset, address to, uint256 amount) private {
        if (asset != address(0)) {
            IERC20(asset).safeTransfer(to, amount);
            return;
        }
        if (_sendNative(to, amount, NATIVE_PUSH_GAS)) return;
        claimable[to] += amount;
        totalClaimable += amount;
        emit NativePayoutDeferred(to, amount);
    }

    /// @dev Sends ETH with at most `gasLimit` gas, copying no return data (a recipient cannot
    ///      make the vault pay for a huge return buffer).
    function _sendNative(address to, uint256 amount, uint256 gasLimit) private returns (bool success) {
        // Safe: a plain value call with no calldata and no return data copied; memory untouched.
        assembly ("memory-safe") {
            success := call(gasLimit, to, amount, 0, 0, 0, 0)
        }
    }
}
