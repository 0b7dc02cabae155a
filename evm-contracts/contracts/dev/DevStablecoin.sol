// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title DevStablecoin
/// @notice Freely mintable 6-decimal stablecoin standing in for USDC on local chains.
/// @dev Never deploy outside development networks: the owner can mint without limit.
contract DevStablecoin is ERC20, Ownable {
    /// @param initialOwner Account allowed to mint.
    constructor(address initialOwner) ERC20("Dev Stablecoin", "dUSD") Ownable(initialOwner) {}

    /// @notice Token units per whole coin, as 10**decimals; 6 to match USDC.
    /// @return The number of decimals, 6.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Creates `amount` tokens for `to`.
    /// @dev Reverts with `OwnableUnauthorizedAccount` unless called by the owner.
    /// @param to Recipient of the new tokens.
    /// @param amount Amount in base units (6 decimals).
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
