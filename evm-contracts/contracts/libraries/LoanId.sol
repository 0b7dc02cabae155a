// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title LoanId
/// @notice A loan's id (shared/LOANS.md "Identifiers and units"):
///         keccak256(vaultEid ‖ vault ‖ borrower ‖ vaultNonce ‖ expiresAt), packed as uint32,
///         bytes32, bytes32, uint64, uint64 (84 bytes).
/// @dev The vault derives it when a loan is opened; the pool derives it again to cancel an expired
///      request it never saw. The deadline is part of the id, so a cancellation's claimed deadline
///      is the one the vault set: a wrong one only names an id no vault will ever send.
library LoanId {
    /// @notice The id of a vault's loan.
    /// @param vaultEid The collateral chain's endpoint id.
    /// @param vault The vault, as bytes32 (shared/SPEC.md "Addresses").
    /// @param borrower The borrower, as bytes32.
    /// @param vaultNonce The vault's loan counter for this loan, from 1.
    /// @param expiresAt The request's deadline, unix seconds.
    /// @return The loan id.
    function compute(uint32 vaultEid, bytes32 vault, bytes32 borrower, uint64 vaultNonce, uint64 expiresAt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(vaultEid, vault, borrower, vaultNonce, expiresAt));
    }
}
