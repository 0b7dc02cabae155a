// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IPriceFeed
/// @notice The lending pool's price source (shared/LOANS.md "Identifiers and units"). A Chainlink
///         adapter implements it by rescaling `latestRoundData` to the unit below.
/// @dev Unit: `price` is the value of 10^18 base units of the collateral asset in stablecoin base
///      units, so `value = collateralAmount * price / 10^18` (rounded down). ETH at $3,000 with a
///      6-decimal stablecoin: 3,000 * 10^6. SOL (9 decimals) at $150: 150 * 10^6 * 10^9.
interface IPriceFeed {
    /// @notice The latest price of `asset` and when it was set.
    /// @dev MUST NOT revert for an asset it does not know: it returns (0, 0), which the pool reads
    ///      as a missing price. The pool treats `updatedAt` older than its maximum price age, or in
    ///      the future, as stale.
    /// @param asset The price id the pool configured for a collateral asset.
    /// @return price Stablecoin base units per 10^18 collateral base units; 0 when missing.
    /// @return updatedAt Unix seconds of the price; 0 when missing.
    function price(bytes32 asset) external view returns (uint256 price, uint256 updatedAt);
}
