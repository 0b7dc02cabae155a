// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title MinimalHyperlaneRecipient
/// @notice The least a Hyperlane receiving app does, for the side-by-side gas report
///         (bench/gas.ts): what a Hyperlane `Router` checks in `handle` — the caller is the
///         mailbox and the sender is the router enrolled for its origin — and nothing else, like
///         the no-op `RecordingApp` our endpoint is measured with.
/// @dev Test-only; never deploy. `enrollRemoteRouter` is open to anyone. Hyperlane's interfaces
///      are not imported (their package's exports map hides its Solidity sources); the selectors
///      are the same.
contract MinimalHyperlaneRecipient {
    /// @notice Thrown when `handle` is called by anyone but the mailbox.
    /// @param caller The account that called.
    error MinimalHyperlaneRecipientOnlyMailbox(address caller);

    /// @notice Thrown when the sender is not the router enrolled for its origin.
    /// @param origin The origin domain.
    /// @param sender The message's sender.
    error MinimalHyperlaneRecipientUnknownRouter(uint32 origin, bytes32 sender);

    /// @notice Emitted when a remote router was enrolled.
    /// @param domain The remote domain.
    /// @param router The remote router, as bytes32.
    event RemoteRouterEnrolled(uint32 domain, bytes32 router);

    /// @notice The mailbox that delivers to this app.
    address public immutable mailbox;

    /// @notice The app's own ISM; zero, so the mailbox uses its default (as `MailboxClient`).
    address public interchainSecurityModule;

    /// @notice The remote router per domain.
    mapping(uint32 domain => bytes32 router) public routers;

    /// @param mailbox_ The Hyperlane mailbox.
    constructor(address mailbox_) {
        mailbox = mailbox_;
    }

    /// @notice Enrolls the remote router of a domain.
    /// @param domain The remote domain.
    /// @param router The remote router, as bytes32.
    function enrollRemoteRouter(uint32 domain, bytes32 router) external {
        routers[domain] = router;
        emit RemoteRouterEnrolled(domain, router);
    }

    /// @notice Hyperlane's `IMessageRecipient.handle`: accepts a message from the mailbox.
    /// @param origin The origin domain.
    /// @param sender The origin app, as bytes32.
    function handle(uint32 origin, bytes32 sender, bytes calldata) external payable {
        if (msg.sender != mailbox) revert MinimalHyperlaneRecipientOnlyMailbox(msg.sender);
        if (routers[origin] != sender) revert MinimalHyperlaneRecipientUnknownRouter(origin, sender);
    }
}
