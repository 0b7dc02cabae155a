// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPriceFeed} from "./IPriceFeed.sol";

/// @title IAdminPriceFeed
/// @notice A price feed whose prices its owner sets by hand (local chains, tests, a fallback).
interface IAdminPriceFeed is IPriceFeed {
    /// @notice Thrown when the owner calls `renounceOwnership`, which is disabled: without an owner
    ///         no price could be set again, so every price would go stale for good.
    error AdminPriceFeedRenounceDisabled();

    /// @notice Emitted when the owner sets a price.
    /// @param asset The price id.
    /// @param price Stablecoin base units per 10^18 collateral base units; 0 removes the price.
    /// @param updatedAt The block timestamp the price was set at.
    event PriceSet(bytes32 indexed asset, uint256 price, uint256 updatedAt);

    /// @notice Sets the price of `asset`, timestamped with the current block.
    /// @dev Only the owner. A price of 0 makes the price missing again (`price` returns (0, 0)).
    /// @param asset The price id.
    /// @param newPrice Stablecoin base units per 10^18 collateral base units.
    function setPrice(bytes32 asset, uint256 newPrice) external;
}
