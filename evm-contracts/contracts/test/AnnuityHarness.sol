// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Annuity} from "../libraries/Annuity.sol";
import {LoanMath} from "../libraries/LoanMath.sol";

/// @title AnnuityHarness
/// @notice Exposes `Annuity` as external functions for tests (shared/vectors/loan-schedules.json).
/// @dev Test-only; never deploy.
contract AnnuityHarness {
    /// @notice `Annuity.periodRate`.
    /// @param rateBps Annual rate in basis points.
    /// @param periodSeconds One period.
    /// @return The period rate, scaled by 10^18, rounded up.
    function periodRate(uint32 rateBps, uint64 periodSeconds) external pure returns (uint256) {
        return Annuity.periodRate(rateBps, periodSeconds);
    }

    /// @notice `Annuity.payment`.
    /// @param principal The loan's principal.
    /// @param rateBps Annual rate in basis points.
    /// @param periodSeconds One period.
    /// @param installments The number of payments.
    /// @return The payment per installment.
    function payment(uint128 principal, uint32 rateBps, uint64 periodSeconds, uint16 installments)
        external
        pure
        returns (uint256)
    {
        return Annuity.payment(principal, rateBps, periodSeconds, installments);
    }

    /// @notice The schedule's rows (shared/LOANS.md "The schedule", step 4) from `Annuity.payment`
    ///         and `LoanMath.accruedInterest`: each row's interest over one period on the principal
    ///         left, and its principal part (the last row takes the rest).
    /// @param principal The loan's principal.
    /// @param rateBps Annual rate in basis points.
    /// @param periodSeconds One period.
    /// @param installments The number of payments.
    /// @return interests Each row's interest.
    /// @return principals Each row's principal part.
    function rows(uint128 principal, uint32 rateBps, uint64 periodSeconds, uint16 installments)
        external
        pure
        returns (uint256[] memory interests, uint256[] memory principals)
    {
        uint256 pay = Annuity.payment(principal, rateBps, periodSeconds, installments);
        interests = new uint256[](installments);
        principals = new uint256[](installments);
        uint128 remaining = principal;
        for (uint16 k = 1; k <= installments; ++k) {
            uint256 interest = LoanMath.accruedInterest(remaining, rateBps, periodSeconds);
            uint256 part = k == installments ? remaining : Math.min(pay - interest, remaining);
            interests[k - 1] = interest;
            principals[k - 1] = part;
            remaining -= uint128(part);
        }
    }

    /// @notice `Annuity.dueTime` for installments 1..`installments`.
    /// @param startTime The loan's start.
    /// @param periodSeconds One period.
    /// @param installments The number of payments.
    /// @param dueBucketSeconds The due-bucket width.
    /// @return times Each installment's due time.
    function dueTimes(uint256 startTime, uint256 periodSeconds, uint16 installments, uint256 dueBucketSeconds)
        external
        pure
        returns (uint256[] memory times)
    {
        times = new uint256[](installments);
        for (uint16 k = 1; k <= installments; ++k) {
            times[k - 1] = Annuity.dueTime(startTime, periodSeconds, k, dueBucketSeconds);
        }
    }

    /// @notice `Annuity.paidInstallments`.
    /// @param repaid Everything paid so far.
    /// @param installmentAmount The schedule's payment.
    /// @param installments The number of payments.
    /// @return The installments paid while debt is left.
    function paidInstallments(uint256 repaid, uint256 installmentAmount, uint16 installments)
        external
        pure
        returns (uint16)
    {
        return Annuity.paidInstallments(repaid, installmentAmount, installments);
    }

    /// @notice `Annuity.amountOf` for installments 1..`installments`.
    /// @param repaid Everything paid so far.
    /// @param installmentAmount The schedule's payment.
    /// @param installments The number of payments.
    /// @return attributed What each installment is attributed.
    function amounts(uint256 repaid, uint256 installmentAmount, uint16 installments)
        external
        pure
        returns (uint256[] memory attributed)
    {
        attributed = new uint256[](installments);
        for (uint16 k = 1; k <= installments; ++k) {
            attributed[k - 1] = Annuity.amountOf(repaid, installmentAmount, installments, k);
        }
    }
}
