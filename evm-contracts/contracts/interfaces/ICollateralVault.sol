// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ILoanbridgeApp} from "./ILoanbridgeApp.sol";

/// @title ICollateralVault
/// @notice The collateral chain's half of a loan (shared/LOANS.md "Vault"): locks native ETH or an
///         allowed ERC-20, asks the lending chain for a loan with `OPEN_LOAN`, and later refunds,
///         releases or seizes the collateral as the lending chain's answers arrive.
/// @dev States `None -> Requested -> Active -> Released | Seized` and `Requested -> Refunded`.
///      Collateral moves at most once per loan: a message for a loan in any other state reverts, and
///      the endpoint stores the failure for retry. There is no timeout refund: a refund is proven
///      by the lending chain's `LOAN_REJECTED` (for an unanswered request, `Expired`, sent by the
///      pool to a late `OPEN_LOAN` or on `cancelExpired`).
interface ICollateralVault is ILoanbridgeApp {
    /// @notice A loan's state on the collateral chain.
    enum LoanState {
        None,
        Requested,
        Active,
        Released,
        Seized,
        Refunded
    }

    /// @notice A loan as the vault records it.
    /// @param borrower Who locked the collateral; receives refunds and releases.
    /// @param expiresAt The lending chain rejects the request after this time.
    /// @param state The loan's state.
    /// @param asset The collateral: an ERC-20, or `address(0)` for native ETH.
    /// @param dueTime From `LOAN_ACTIVE`; 0 before.
    /// @param rateBps Annual rate from `LOAN_ACTIVE`; 0 before.
    /// @param collateralAmount Collateral locked, in the asset's base units.
    /// @param principal Requested principal; the disbursed principal once `LOAN_ACTIVE` arrived.
    struct Loan {
        address borrower;
        uint64 expiresAt;
        LoanState state;
        address asset;
        uint64 dueTime;
        uint32 rateBps;
        uint128 collateralAmount;
        uint128 principal;
    }

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice Thrown when `onPacket` is called by anyone but the endpoint.
    /// @param caller The caller.
    error VaultNotEndpoint(address caller);
    /// @notice Thrown when a packet comes from another chain than the lending chain.
    /// @param srcEid The packet's source endpoint id.
    error VaultUnexpectedSource(uint32 srcEid);
    /// @notice Thrown when the vault receives a message type it never handles (`OPEN_LOAN`).
    /// @param messageType The message's type.
    error VaultUnexpectedMessageType(uint8 messageType);
    /// @notice Thrown when a message or a refund finds a loan in a state that does not allow it.
    /// @param loanId The loan.
    /// @param state The loan's current state.
    error VaultUnexpectedLoanState(bytes32 loanId, LoanState state);
    /// @notice Thrown when opening with zero collateral.
    error VaultZeroCollateral();
    /// @notice Thrown when opening with zero principal.
    error VaultZeroPrincipal();
    /// @notice Thrown when opening with zero installments (1 is a bullet loan).
    error VaultZeroInstallments();
    /// @notice Thrown when opening with a zero recipient.
    error VaultZeroRecipient();
    /// @notice Thrown when opening with an ERC-20 that is not on the allow-list.
    /// @param asset The ERC-20.
    error VaultAssetNotAllowed(address asset);
    /// @notice Thrown when the ETH sent with `open` is not the collateral amount (native) or zero
    ///         (ERC-20).
    /// @param expected The value `open` needed.
    /// @param actual `msg.value`.
    error VaultValueMismatch(uint256 expected, uint256 actual);
    /// @notice Thrown when an ERC-20 credits the vault with another amount than transferred (a
    ///         fee-on-transfer or rebasing token).
    /// @param asset The ERC-20.
    /// @param expected The amount transferred.
    /// @param received The vault's balance increase.
    error VaultTransferAmountMismatch(address asset, uint256 expected, uint256 received);
    /// @notice Thrown when a `DEFAULTED` or `LIQUIDATED` names the zero address as beneficiary.
    /// @param loanId The loan.
    error VaultZeroBeneficiary(bytes32 loanId);
    /// @notice Thrown when `claim` finds nothing to pay.
    /// @param account The caller.
    error VaultNothingToClaim(address account);
    /// @notice Thrown when `claim` cannot send the ETH.
    /// @param account The caller.
    /// @param amount The amount it tried to send.
    error VaultClaimFailed(address account, uint256 amount);
    /// @notice Thrown when the owner sets a zero request time-to-live.
    error VaultZeroRequestTtl();
    /// @notice Thrown when the owner calls `renounceOwnership`, which is disabled: without an owner
    ///         the asset allow-list and the request time-to-live could never change again.
    error VaultRenounceDisabled();

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice Emitted when a borrower locks collateral and the vault sends `OPEN_LOAN`.
    /// @param loanId The loan.
    /// @param borrower The borrower.
    /// @param asset The collateral asset (`address(0)` for ETH).
    /// @param collateralAmount Collateral locked.
    /// @param principal Principal requested.
    /// @param maxRateBps Highest annual rate the borrower accepts.
    /// @param termSeconds Loan term.
    /// @param installments Equal payments the term is split into (1: a bullet loan).
    /// @param recipient Who receives the principal on the lending chain.
    /// @param expiresAt The lending chain rejects the request after this time.
    /// @param nonce The vault's loan counter for this loan (from 1).
    event LoanRequested(
        bytes32 indexed loanId,
        address indexed borrower,
        address indexed asset,
        uint256 collateralAmount,
        uint256 principal,
        uint32 maxRateBps,
        uint64 termSeconds,
        uint16 installments,
        bytes32 recipient,
        uint64 expiresAt,
        uint64 nonce
    );
    /// @notice Emitted when `LOAN_ACTIVE` arrives for a requested loan.
    /// @param loanId The loan.
    /// @param principal Principal disbursed.
    /// @param rateBps Annual rate charged.
    /// @param startTime When the loan started on the lending chain.
    /// @param dueTime When it is due.
    event LoanActivated(bytes32 indexed loanId, uint256 principal, uint32 rateBps, uint64 startTime, uint64 dueTime);
    /// @notice Emitted when a requested loan's collateral goes back to the borrower.
    /// @param loanId The loan.
    /// @param borrower The borrower.
    /// @param amount Collateral returned.
    /// @param reason The `LOAN_REJECTED` reason (shared/SPEC.md).
    event LoanRefunded(bytes32 indexed loanId, address indexed borrower, uint256 amount, uint8 reason);
    /// @notice Emitted when `REPAID` releases an active loan's collateral to the borrower.
    /// @param loanId The loan.
    /// @param borrower The borrower.
    /// @param amount Collateral released.
    /// @param amountRepaid Principal plus interest paid over the loan's life, from `REPAID`.
    event CollateralReleased(bytes32 indexed loanId, address indexed borrower, uint256 amount, uint256 amountRepaid);
    /// @notice Emitted when `DEFAULTED` or `LIQUIDATED` sends an active loan's collateral to the
    ///         beneficiary.
    /// @param loanId The loan.
    /// @param beneficiary Who received the collateral.
    /// @param amount Collateral seized.
    /// @param outstanding Debt left unpaid, from the message.
    /// @param liquidated True for `LIQUIDATED`, false for `DEFAULTED`.
    event CollateralSeized(
        bytes32 indexed loanId, address indexed beneficiary, uint256 amount, uint256 outstanding, bool liquidated
    );
    /// @notice Emitted when an ETH payout could not be pushed and was credited for `claim` instead.
    /// @param account Who can claim it.
    /// @param amount The amount credited.
    event NativePayoutDeferred(address indexed account, uint256 amount);
    /// @notice Emitted when an account claims its deferred ETH.
    /// @param account The account.
    /// @param amount The amount paid.
    event Claimed(address indexed account, uint256 amount);
    /// @notice Emitted when the owner adds or removes an ERC-20 from the allow-list.
    /// @param asset The ERC-20.
    /// @param allowed Whether new loans may lock it.
    event AssetAllowed(address indexed asset, bool allowed);
    /// @notice Emitted when the owner sets the request time-to-live.
    /// @param requestTtl Seconds from `open` to `expiresAt` for new loans.
    event RequestTtlSet(uint64 requestTtl);

    // ---------------------------------------------------------------------------------------------
    // Borrower and anyone
    // ---------------------------------------------------------------------------------------------

    /// @notice Locks collateral and asks the lending chain for a loan.
    /// @dev For ETH pass `asset = address(0)` and send `collateralAmount` as value; for an ERC-20
    ///      approve the vault first and send no value. Sets `expiresAt = now + requestTtl`, computes
    ///      `loanId = keccak256(localEid ‖ vault ‖ borrower ‖ nonce ‖ expiresAt)` (bytes32
    ///      addresses, uint64 nonce from 1, `LoanId`), and sends `OPEN_LOAN` to the lending chain.
    ///      Reverts `VaultZeroCollateral`, `VaultZeroPrincipal`, `VaultZeroInstallments`,
    ///      `VaultZeroRecipient`, `VaultAssetNotAllowed`, `VaultValueMismatch`,
    ///      `VaultTransferAmountMismatch`.
    /// @param asset The ERC-20 to lock, or `address(0)` for ETH.
    /// @param collateralAmount Collateral in the asset's base units.
    /// @param principal Principal requested, in the lending chain's stablecoin base units.
    /// @param maxRateBps Highest annual rate accepted, in basis points.
    /// @param termSeconds Loan term.
    /// @param installments Equal payments of principal and interest the term is split into, one
    ///        per `termSeconds / installments` (shared/LOANS.md "Installments"); 1 is a bullet loan.
    ///        The pool answers `InvalidTerms` to a count or period it does not allow.
    /// @param recipient Who receives the principal on the lending chain (shared/SPEC.md address).
    /// @return loanId The new loan's id.
    function open(
        address asset,
        uint128 collateralAmount,
        uint128 principal,
        uint32 maxRateBps,
        uint64 termSeconds,
        uint16 installments,
        bytes32 recipient
    ) external payable returns (bytes32 loanId);

    /// @notice Pays the caller the ETH credited to it when a push payout failed.
    /// @dev Reverts `VaultNothingToClaim` for a zero balance, `VaultClaimFailed` if the transfer fails.
    /// @return amount The amount paid.
    function claim() external returns (uint256 amount);

    // ---------------------------------------------------------------------------------------------
    // Owner
    // ---------------------------------------------------------------------------------------------

    /// @notice Adds or removes an ERC-20 from the collateral allow-list (ETH is always allowed).
    /// @dev Only the owner. Removing an asset affects new loans only. Reverts
    ///      `VaultAssetNotAllowed(address(0))` for ETH, which is not on the list.
    /// @param asset The ERC-20.
    /// @param allowed Whether new loans may lock it.
    function setAssetAllowed(address asset, bool allowed) external;

    /// @notice Sets the time from `open` to `expiresAt` for new loans.
    /// @dev Only the owner. Reverts `VaultZeroRequestTtl` for 0.
    /// @param requestTtl Seconds.
    function setRequestTtl(uint64 requestTtl) external;

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The endpoint that sends and delivers this vault's packets.
    /// @return The endpoint.
    function endpoint() external view returns (address);

    /// @notice This chain's endpoint id, read from the endpoint at deployment.
    /// @return The endpoint id.
    function localEid() external view returns (uint32);

    /// @notice The lending chain's endpoint id: every `OPEN_LOAN` goes there, every answer comes
    ///         from there.
    /// @return The endpoint id.
    function lendingEid() external view returns (uint32);

    /// @notice Seconds from `open` to `expiresAt` for new loans.
    /// @return Seconds.
    function requestTtl() external view returns (uint64);

    /// @notice How many loans the vault has opened; the next loan's nonce is this plus one.
    /// @return The count.
    function nonce() external view returns (uint64);

    /// @notice Whether new loans may lock `asset` (always true for `address(0)`, ETH).
    /// @param asset The ERC-20, or `address(0)`.
    /// @return Whether it is allowed.
    function isAssetAllowed(address asset) external view returns (bool);

    /// @notice A loan's record.
    /// @param loanId The loan.
    /// @return The loan (all zero for an unknown id).
    function getLoan(bytes32 loanId) external view returns (Loan memory);

    /// @notice ETH credited to `account` by failed push payouts.
    /// @param account The account.
    /// @return The amount `claim` would pay it.
    function claimable(address account) external view returns (uint256);

    /// @notice The sum of all accounts' `claimable` balances.
    /// @return The total.
    function totalClaimable() external view returns (uint256);

    /// @notice The loan id the vault's `loanNonce`-th loan would have, opened by `borrower` with
    ///         deadline `expiresAt`.
    /// @param borrower The borrower.
    /// @param loanNonce The vault nonce.
    /// @param expiresAt The request's deadline.
    /// @return keccak256(localEid ‖ vault ‖ borrower ‖ loanNonce ‖ expiresAt), addresses as bytes32.
    function computeLoanId(address borrower, uint64 loanNonce, uint64 expiresAt) external view returns (bytes32);
}
