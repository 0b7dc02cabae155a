// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title EvmAddress
/// @notice EVM addresses on the wire: the 20 bytes left-padded with 12 zero bytes (shared/SPEC.md).
library EvmAddress {
    /// @notice The bytes32 has a non-zero byte in its upper 12, so it is no EVM address.
    /// @param value The bytes32 read.
    error NotAnEvmAddress(bytes32 value);

    /// @notice Reads a wire bytes32 as an EVM address.
    /// @dev Reverts `NotAnEvmAddress` unless the upper 12 bytes are zero.
    /// @param value The bytes32 from the wire.
    /// @return The address in its lower 20 bytes.
    function toAddress(bytes32 value) internal pure returns (address) {
        if (uint256(value) >> 160 != 0) revert NotAnEvmAddress(value);
        return address(uint160(uint256(value)));
    }

    /// @notice The wire form of an EVM address.
    /// @param account The address.
    /// @return The address left-padded with 12 zero bytes.
    function toBytes32(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }
}
