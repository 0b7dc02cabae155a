// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken
/// @notice An 18-decimal ERC-20 that burns 1% of every transfer, to show the vault rejects such
///         tokens. Anyone can mint.
/// @dev Test-only; never deploy.
contract FeeOnTransferToken is ERC20 {
    /// @notice Fee in basis points of every transfer (burnt).
    uint256 public constant FEE_BPS = 100;

    constructor() ERC20("Fee Token", "FEE") {}

    /// @notice Creates `amount` tokens for `to`; anyone may call.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Burns the fee from the sender on transfers (not on mints or burns).
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) {
            super._update(from, to, value);
            return;
        }
        uint256 fee = value * FEE_BPS / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
