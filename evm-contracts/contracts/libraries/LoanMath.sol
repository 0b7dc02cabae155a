// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title LoanMath
/// @notice The loan arithmetic of shared/LOANS.md: the functions of the TypeScript reference
///         (shared/src/loans/math.ts) with the same names and results, checked against
///         shared/vectors/loan-math.json.
/// @dev Every result is exact and rounded down: products are formed in full (256 or 512 bits)
///      before the one division, never rounded in between. Input widths are the reference's
///      (uint128 amounts, uint32 rates, uint64 seconds), enforced by the parameter types, except
///      where noted on a function.
library LoanMath {
    /// @notice Basis points in one.
    uint256 internal constant BPS = 10_000;
    /// @notice Seconds in the interest year (365 days).
    uint256 internal constant SECONDS_PER_YEAR = 31_536_000;
    /// @notice Collateral base units a price is quoted for: prices are stablecoin base units per
    ///         10^18 collateral base units.
    uint256 internal constant PRICE_SCALE = 1e18;

    /// @notice Interest on `principal` at `rateBps` a year over `elapsedSeconds`:
    ///         `principal * rateBps * elapsedSeconds / (10,000 * 31,536,000)`, rounded down.
    /// @dev Never reverts: the product is below 2^(128+32+64) = 2^224. The result can exceed
    ///      128 bits (up to 186); callers that store it narrower must check.
    /// @param principal Outstanding principal, in stablecoin base units.
    /// @param rateBps Annual rate in basis points.
    /// @param elapsedSeconds Time accrued over.
    /// @return The interest, in stablecoin base units.
    function accruedInterest(uint128 principal, uint32 rateBps, uint64 elapsedSeconds)
        internal
        pure
        returns (uint256)
    {
        // Cannot overflow: principal * rateBps * elapsedSeconds < 2^224, and the divisor is a
        // non-zero constant.
        unchecked {
            return uint256(principal) * rateBps * elapsedSeconds / (BPS * SECONDS_PER_YEAR);
        }
    }

    /// @notice Value of `amount` collateral base units at `price`, in stablecoin base units:
    ///         `amount * price / 10^18`, rounded down.
    /// @dev `price` is a uint256, as the feed returns it, and is not narrowed: the reference takes
    ///      prices up to 2^128 - 1, and on that whole range the result is the same (it always fits,
    ///      being below 2^256 / 10^18). Above it the result stays exact (the product is a 512-bit
    ///      mulDiv) as long as it fits in 256 bits, which holds for every price up to 2^187 whatever
    ///      the amount; beyond that it reverts (`Panic(0x11)`) rather than round. Rejecting prices
    ///      above 2^128 - 1 instead would only turn absurd but usable prices into failures.
    /// @param amount Collateral base units.
    /// @param price Stablecoin base units per 10^18 collateral base units.
    /// @return The value, in stablecoin base units.
    function collateralValue(uint128 amount, uint256 price) internal pure returns (uint256) {
        return Math.mulDiv(amount, price, PRICE_SCALE);
    }

    /// @notice Whether `debt` is above `ltvBps` of `value`: `debt * 10,000 > value * ltvBps`.
    /// @dev Exact for every uint256 input: both products are compared as 512-bit integers, so
    ///      nothing is rounded and nothing overflows. The reference bounds `debt` to 128 bits and
    ///      `ltvBps` to 32; wider inputs give the exact answer of the same comparison.
    /// @param debt Principal plus interest, in stablecoin base units.
    /// @param value Collateral value, in stablecoin base units.
    /// @param ltvBps Loan-to-value limit in basis points.
    /// @return True when the debt exceeds the limit (equal to it is not above).
    function exceedsLtv(uint256 debt, uint256 value, uint256 ltvBps) internal pure returns (bool) {
        (uint256 debtHigh, uint256 debtLow) = Math.mul512(debt, BPS);
        (uint256 limitHigh, uint256 limitLow) = Math.mul512(value, ltvBps);
        return debtHigh > limitHigh || (debtHigh == limitHigh && debtLow > limitLow);
    }
}
