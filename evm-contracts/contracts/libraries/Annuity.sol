// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {LoanMath} from "./LoanMath.sol";

/// @title Annuity
/// @notice The installment schedule of shared/LOANS.md "Installments (equal payments: an annuity)":
///         the same numbers as the TypeScript reference (shared/src/loans/schedule.ts), checked
///         against shared/vectors/loan-schedules.json.
/// @dev Every rounding is the spec's, in the spec's order: reordering one changes the numbers on
///      chain. Fixed point is `SCALE`; `installments` is at least 1 everywhere (the callers check).
library Annuity {
    /// @notice The fixed-point scale of the period rate and the discount factors.
    uint256 internal constant SCALE = 1e18;
    /// @notice `10,000 × 31,536,000`: an annual rate in bps times seconds over this is a fraction.
    uint256 internal constant YEAR_BPS = LoanMath.BPS * LoanMath.SECONDS_PER_YEAR;

    /// @notice The interest rate of one period, in `SCALE` fixed point, rounded up:
    ///         `⌈SCALE × rateBps × periodSeconds / YEAR_BPS⌉`; zero only when either is zero.
    /// @dev Cannot overflow: the product is below 2^(60+32+64).
    /// @param rateBps Annual rate in basis points.
    /// @param periodSeconds One period.
    /// @return The rate, scaled by `SCALE`.
    function periodRate(uint32 rateBps, uint64 periodSeconds) internal pure returns (uint256) {
        return Math.mulDiv(SCALE * rateBps, periodSeconds, YEAR_BPS, Math.Rounding.Ceil);
    }

    /// @notice The equal payment of an `installments`-period annuity on `principal`: `⌈principal /
    ///         installments⌉` at a zero period rate r, else `⌈principal × r / (SCALE − d^n)⌉` with
    ///         `d = ⌊SCALE² / (SCALE + r)⌋` and `d^n` powered with every product rounded down.
    /// @dev Never reverts for `installments ≥ 1`: r < 2^118, `SCALE − d^n ≥ 1` as `d^n ≤ d < SCALE`
    ///      for r > 0, so the result is below 2^246. Callers that store it in 128 bits must check.
    /// @param principal The loan's principal.
    /// @param rateBps Annual rate in basis points.
    /// @param periodSeconds One period.
    /// @param installments The number of payments, at least 1.
    /// @return The payment per installment.
    function payment(uint128 principal, uint32 rateBps, uint64 periodSeconds, uint16 installments)
        internal
        pure
        returns (uint256)
    {
        uint256 rate = periodRate(rateBps, periodSeconds);
        if (rate == 0) return Math.ceilDiv(principal, installments);
        uint256 discount = SCALE * SCALE / (SCALE + rate);
        return Math.mulDiv(principal, rate, SCALE - _powerDown(discount, installments), Math.Rounding.Ceil);
    }

    /// @notice When installment `index` is due: `⌈(startTime + index × periodSeconds) / W⌉ × W`.
    /// @dev Exact for every input whose result fits 256 bits; the pool's fit 64 (its terms are at
    ///      most 62 × W past a 64-bit start).
    /// @param startTime The loan's start.
    /// @param periodSeconds One period.
    /// @param index The installment, 1-based.
    /// @param dueBucketSeconds The due-bucket width W, non-zero.
    /// @return The due time, a multiple of W.
    function dueTime(uint256 startTime, uint256 periodSeconds, uint256 index, uint256 dueBucketSeconds)
        internal
        pure
        returns (uint256)
    {
        return Math.ceilDiv(startTime + index * periodSeconds, dueBucketSeconds) * dueBucketSeconds;
    }

    /// @notice How many installments a loan with debt left has paid: `⌊repaid / installmentAmount⌋`,
    ///         at most `installments − 1` (the last one is paid only when the debt is zero).
    /// @param repaid Everything paid so far.
    /// @param installmentAmount The schedule's payment, non-zero.
    /// @param installments The number of payments, at least 1.
    /// @return The installments paid.
    function paidInstallments(uint256 repaid, uint256 installmentAmount, uint16 installments)
        internal
        pure
        returns (uint16)
    {
        // Fits: at most installments − 1.
        return uint16(Math.min(repaid / installmentAmount, installments - 1));
    }

    /// @notice What installment `index` is attributed out of the cumulative `repaid`:
    ///         `installmentAmount` each in order, a partial one the rest, the last one everything
    ///         above the others' share (so the amounts of 1..installments sum to `repaid`).
    /// @param repaid Everything paid so far.
    /// @param installmentAmount The schedule's payment.
    /// @param installments The number of payments, at least 1.
    /// @param index The installment, 1-based, at most `installments`.
    /// @return `min(installmentAmount, max(repaid − (index − 1) × installmentAmount, 0))`, without
    ///         the `min` for the last installment.
    function amountOf(uint256 repaid, uint256 installmentAmount, uint16 installments, uint16 index)
        internal
        pure
        returns (uint256)
    {
        (bool fits, uint256 before) = Math.trySub(repaid, (index - 1) * installmentAmount);
        if (!fits) return 0;
        return index == installments ? before : Math.min(installmentAmount, before);
    }

    /// @dev `base^exponent` in `SCALE` fixed point by binary powering, in the spec's order (multiply
    ///      when the exponent is odd, halve it, stop at zero, else square), every product rounded
    ///      down. Cannot overflow: `base < SCALE`, so every factor is below 2^60 and every product
    ///      below 2^120.
    function _powerDown(uint256 base, uint256 exponent) private pure returns (uint256 result) {
        result = SCALE;
        while (true) {
            if (exponent & 1 == 1) result = result * base / SCALE;
            exponent >>= 1;
            if (exponent == 0) return result;
            base = base * base / SCALE;
        }
    }
}
