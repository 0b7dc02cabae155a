// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LoanMath} from "../libraries/LoanMath.sol";

/// @title LoanMathHarness
/// @notice Exposes `LoanMath` as external functions for tests (shared/vectors/loan-math.json).
/// @dev Test-only; never deploy.
contract LoanMathHarness {
    /// @notice `LoanMath.BPS`.
    /// @return Basis points in one.
    function bps() external pure returns (uint256) {
        return LoanMath.BPS;
    }

    /// @notice `LoanMath.SECONDS_PER_YEAR`.
    /// @return Seconds in the interest year.
    function secondsPerYear() external pure returns (uint256) {
        return LoanMath.SECONDS_PER_YEAR;
    }

    /// @notice `LoanMath.PRICE_SCALE`.
    /// @return Collateral base units a price is quoted for.
    function priceScale() external pure returns (uint256) {
        return LoanMath.PRICE_SCALE;
    }

    /// @notice `LoanMath.accruedInterest`.
    /// @param principal Outstanding principal.
    /// @param rateBps Annual rate in basis points.
    /// @param elapsedSeconds Time accrued over.
    /// @return The interest, rounded down.
    function accruedInterest(uint128 principal, uint32 rateBps, uint64 elapsedSeconds)
        external
        pure
        returns (uint256)
    {
        return LoanMath.accruedInterest(principal, rateBps, elapsedSeconds);
    }

    /// @notice `LoanMath.collateralValue`.
    /// @param amount Collateral base units.
    /// @param price Stablecoin base units per 10^18 collateral base units.
    /// @return The value, rounded down.
    function collateralValue(uint128 amount, uint256 price) external pure returns (uint256) {
        return LoanMath.collateralValue(amount, price);
    }

    /// @notice `LoanMath.exceedsLtv`.
    /// @param debt Principal plus interest.
    /// @param value Collateral value.
    /// @param ltvBps Loan-to-value limit in basis points.
    /// @return Whether `debt * 10,000 > value * ltvBps`.
    function exceedsLtv(uint256 debt, uint256 value, uint256 ltvBps) external pure returns (bool) {
        return LoanMath.exceedsLtv(debt, value, ltvBps);
    }
}
