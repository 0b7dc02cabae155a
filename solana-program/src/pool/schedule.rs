//! The installment schedule (shared/LOANS.md "Installments (equal
//! payments: an annuity)"): pure integer arithmetic, identical to the
//! TypeScript `annuitySchedule` and the Solidity `Annuity`, pinned by
//! `shared/vectors/loan-schedules.json` (`tests/vectors.rs`).
//!
//! With `SCALE = 10^18`, `YEAR_BPS = 10,000 × 31,536,000`, P the principal,
//! n the installments, T the period and R the annual rate in bps:
//!
//! 1. `period_rate = ⌈SCALE × R × T / YEAR_BPS⌉` (rounded up);
//! 2. zero rate: `payment = ⌈P / n⌉`;
//! 3. else `discount = ⌊SCALE² / (SCALE + period_rate)⌋`, `discount^n` by
//!    binary powering with every product rounded down, and
//!    `payment = ⌈P × period_rate / (SCALE − discount^n)⌉`;
//! 4. rows k = 1..n ([`Rows`]): `interest_k = ⌊remaining × R × T /
//!    YEAR_BPS⌋`, `principal_k = min(payment − interest_k, remaining)`
//!    (the last row takes all that remains), `amount_k = interest_k +
//!    principal_k`.
//!
//! Every product is exact (256-bit), every division a long division by
//! 64-bit digits: nothing here allocates or needs 128-bit division.

use crate::math::{accrued_interest, checked_mul, mul_u128, mul_u64, U256};
use crate::math::{INTEREST_SCALE, PRICE_SCALE};

use super::due::due_time;

/// The schedule's fixed-point one, 10^18.
pub const SCALE: u64 = PRICE_SCALE;
/// `10,000 × 31,536,000`: rates are annual basis points, time in seconds.
pub const YEAR_BPS: u64 = INTEREST_SCALE;
/// Most installments a pool may allow (`SetInstallmentTerms`).
pub const MAX_INSTALLMENTS: u16 = 360;
/// Allowed installment periods a pool keeps (0 = unused slot).
pub const INSTALLMENT_PERIOD_SLOTS: usize = 4;

/// `⌈x / divisor⌉` for a non-zero 64-bit divisor.
fn div_ceil_u64(x: U256, divisor: u64) -> Option<U256> {
    let floor = x.checked_div_u64(divisor)?;
    if floor.checked_mul_u64(divisor)? == x {
        Some(floor)
    } else {
        Some(floor.saturating_add(U256::from_u128(1)))
    }
}

/// `⌈SCALE × rate_bps × period / YEAR_BPS⌉`, the interest rate of one
/// period scaled by 10^18, rounded up (so a payment always covers the first
/// period's interest); zero only for a zero rate or period. `None` past
/// `u128` (a period of centuries at an absurd rate).
pub fn period_rate(rate_bps: u32, period_seconds: u64) -> Option<u128> {
    let (high, low) = mul_u64(SCALE, rate_bps as u64);
    let product = U256([low, high, 0, 0]).checked_mul_u64(period_seconds)?;
    div_ceil_u64(product, YEAR_BPS)?.to_u128()
}

/// `⌊SCALE² / (SCALE + period_rate)⌋`, the per-period discount factor
/// `(1 + r)^−1` scaled by 10^18: at most SCALE, below it for a non-zero
/// rate.
pub fn discount(period_rate: u128) -> u64 {
    let Some(divisor) = (SCALE as u128).checked_add(period_rate) else {
        // SCALE² < 2^120: any divisor past 2^128 leaves zero.
        return 0;
    };
    let (high, low) = mul_u64(SCALE, SCALE);
    U256([low, high, 0, 0])
        .checked_div_u128(divisor)
        .and_then(U256::to_u128)
        // The quotient is at most SCALE (divisor ≥ SCALE).
        .map_or(0, |quotient| quotient as u64)
}

/// `⌊a × b / SCALE⌋` for factors at most SCALE (products below 2^120).
fn scaled_product(a: u64, b: u64) -> u64 {
    let (high, low) = mul_u64(a, b);
    // At most SCALE: both factors are.
    U256([low, high, 0, 0]).div_scale().0[0]
}

/// `discount^n` by binary powering, every product rounded down, in
/// LOANS.md's order: `result = SCALE; base = discount; e = n; loop { if e
/// odd: result = ⌊result × base / SCALE⌋; e = ⌊e / 2⌋; if e = 0: stop;
/// base = ⌊base × base / SCALE⌋ }`.
pub fn discount_power(discount: u64, installments: u16) -> u64 {
    let mut result = SCALE;
    let mut base = discount;
    let mut e = installments;
    loop {
        if e & 1 == 1 {
            result = scaled_product(result, base);
        }
        e >>= 1;
        if e == 0 {
            return result;
        }
        base = scaled_product(base, base);
    }
}

/// What a schedule is computed from (a struct: upstream BPF passes at most
/// five registers of arguments, and a `u128` takes two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    /// P, in base units.
    pub principal: u128,
    /// R, annual basis points.
    pub rate_bps: u32,
    /// T, seconds.
    pub period_seconds: u64,
    /// n.
    pub installments: u16,
}

/// The equal payment of each installment: `⌈P / n⌉` at a zero period rate,
/// else `⌈P × period_rate / (SCALE − discount^n)⌉`. `None` for zero
/// installments or a payment past `u128` (only for principals past 2^64 or
/// periods of centuries at absurd rates).
pub fn payment(terms: &Terms) -> Option<u128> {
    let Terms {
        principal,
        rate_bps,
        period_seconds,
        installments,
    } = *terms;
    if installments == 0 {
        return None;
    }
    let rate = period_rate(rate_bps, period_seconds)?;
    if rate == 0 {
        return div_ceil_u64(U256::from_u128(principal), installments as u64)?.to_u128();
    }
    let discount_n = discount_power(discount(rate), installments);
    // discount < SCALE for a non-zero rate, so discount^n < SCALE too.
    let denominator = SCALE - discount_n;
    div_ceil_u64(mul_u128(principal, rate), denominator)?.to_u128()
}

/// Installment `k`'s due time, `⌈(start + k × period) / W⌉ × W`; `None`
/// past `u64`. The last installment's is the loan's `due_time`.
pub fn installment_due(start: u64, k: u16, period_seconds: u64, width: u64) -> Option<u64> {
    due_time(start, checked_mul(k as u64, period_seconds)?, width)
}

/// Where a loan's repayments stand against its schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Everything paid so far (the loan's cumulative `repaid`).
    pub repaid: u128,
    /// The schedule's equal payment.
    pub payment: u128,
    /// n.
    pub installments: u16,
}

/// How many installments a loan's cumulative `repaid` has paid: all `n`
/// once the debt is zero, else the `k < n` with `repaid ≥ k × payment`.
pub fn installments_paid(progress: &Progress, debt_zero: bool) -> u16 {
    let Progress {
        repaid,
        payment,
        installments,
    } = *progress;
    if debt_zero {
        return installments;
    }
    let before_last = installments.saturating_sub(1);
    if payment == 0 {
        return before_last;
    }
    let whole = U256::from_u128(repaid)
        .checked_div_u128(payment)
        .and_then(U256::to_u128)
        .unwrap_or(u128::MAX);
    whole.min(before_last as u128) as u16
}

/// What installment `k` (1-based) of `n` was paid out of the cumulative
/// `repaid`: `min(payment, max(repaid − (k−1) × payment, 0))` for `k < n`,
/// `max(repaid − (n−1) × payment, 0)` for the last (the amounts sum to
/// `repaid`).
pub fn installment_paid_amount(progress: &Progress, k: u16) -> u128 {
    let Progress {
        repaid,
        payment,
        installments,
    } = *progress;
    let before = U256::from_u128(payment)
        .checked_mul_u64(k.saturating_sub(1) as u64)
        .unwrap_or(U256::MAX);
    let over = U256::from_u128(repaid)
        .saturating_sub(before)
        .saturating_u128();
    if k < installments {
        over.min(payment)
    } else {
        over
    }
}

/// One row of the schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based installment index.
    pub index: u16,
    pub interest: u128,
    pub principal: u128,
    /// `interest + principal`.
    pub amount: u128,
    /// Principal left after this row.
    pub remaining: u128,
}

/// The schedule's rows, k = 1..n, computed one at a time (no allocation).
#[derive(Clone, Copy, Debug)]
pub struct Rows {
    remaining: u128,
    rate_bps: u32,
    period_seconds: u64,
    installments: u16,
    next: u16,
    payment: u128,
}

/// The schedule of a loan: its payment and rows; `None` where [`payment`]
/// is.
pub fn rows(terms: &Terms) -> Option<Rows> {
    Some(Rows {
        remaining: terms.principal,
        rate_bps: terms.rate_bps,
        period_seconds: terms.period_seconds,
        installments: terms.installments,
        next: 1,
        payment: payment(terms)?,
    })
}

impl Rows {
    /// The schedule's equal payment.
    pub fn payment(&self) -> u128 {
        self.payment
    }
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.next > self.installments {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let interest = accrued_interest(self.remaining, self.rate_bps, self.period_seconds)
            .unwrap_or(u128::MAX);
        let principal = if index < self.installments {
            self.payment.saturating_sub(interest).min(self.remaining)
        } else {
            self.remaining
        };
        self.remaining -= principal;
        Some(Row {
            index,
            interest,
            principal,
            amount: interest.saturating_add(principal),
            remaining: self.remaining,
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    const DAY: u64 = 86_400;

    fn terms(principal: u128, rate_bps: u32, period_seconds: u64, installments: u16) -> Terms {
        Terms {
            principal,
            rate_bps,
            period_seconds,
            installments,
        }
    }

    fn progress(repaid: u128, payment: u128, installments: u16) -> Progress {
        Progress {
            repaid,
            payment,
            installments,
        }
    }

    #[test]
    fn period_rate_rounds_up_and_is_zero_only_for_zero_inputs() {
        // 10% a year over 365 days: exactly 0.1.
        assert_eq!(period_rate(1_000, 31_536_000), Some(SCALE as u128 / 10));
        // 10% over one day: 10^17 / 365 = 273972602739726.02… → up.
        assert_eq!(period_rate(1_000, DAY), Some(273_972_602_739_727));
        assert_eq!(period_rate(0, DAY), Some(0));
        assert_eq!(period_rate(1_000, 0), Some(0));
        // 10^18 / 315,360,000,000 = 3170979.19… → up.
        assert_eq!(period_rate(1, 1), Some(3_170_980));
    }

    #[test]
    fn a_zero_rate_splits_the_principal_rounded_up() {
        assert_eq!(payment(&terms(1_000, 0, DAY, 3)), Some(334));
        let all: Vec<Row> = rows(&terms(1_000, 0, DAY, 3)).unwrap().collect();
        let principal: Vec<u128> = all.iter().map(|row| row.principal).collect();
        assert_eq!(principal, [334, 334, 332]);
        assert_eq!(all[2].remaining, 0);
    }

    #[test]
    fn one_installment_is_principal_plus_one_periods_interest_rounded_up() {
        // 10% over a year, bullet: discount = 10^36 / 1.1e18 = 909090909090909090,
        // payment = ⌈10^6 × 10^17 / 90909090909090910⌉ = 1,100,000.
        assert_eq!(discount(SCALE as u128 / 10), 909_090_909_090_909_090);
        assert_eq!(
            payment(&terms(1_000_000, 1_000, 31_536_000, 1)),
            Some(1_100_000)
        );
        let row = rows(&terms(1_000_000, 1_000, 31_536_000, 1))
            .unwrap()
            .next()
            .unwrap();
        assert_eq!(
            (row.interest, row.principal, row.amount),
            (100_000, 1_000_000, 1_100_000)
        );
    }

    #[test]
    fn binary_powering_follows_the_stated_rounding_order() {
        // By hand for n = 5: result·base at e = 5 (odd), base², e = 2,
        // base⁴, e = 1 → result·base⁴.
        let d = discount(period_rate(1_200, 30 * DAY).unwrap());
        let b2 = scaled_product(d, d);
        let b4 = scaled_product(b2, b2);
        let expected = scaled_product(scaled_product(SCALE, d), b4);
        assert_eq!(discount_power(d, 5), expected);
        assert_eq!(discount_power(d, 1), d);
        assert_eq!(discount_power(d, 0), SCALE);
    }

    #[test]
    fn schedule_properties_hold_across_terms() {
        for &(principal, rate, period, n) in &[
            (1_000_000u128, 1_000u32, 30 * DAY, 12u16),
            (1, 100_000, DAY, 7),
            (123_456_789, 500, 7 * DAY, 360),
            (u64::MAX as u128, 100_000, 30 * DAY, 12),
            (10_000, 1, DAY, 360),
            (999, 100_000, 62 * 365 * DAY, 1),
        ] {
            let schedule = rows(&terms(principal, rate, period, n)).unwrap();
            let payment = schedule.payment();
            let all: Vec<Row> = schedule.collect();
            assert_eq!(all.len(), n as usize);
            let total: u128 = all.iter().map(|row| row.principal).sum();
            assert_eq!(total, principal);
            assert_eq!(all.last().unwrap().remaining, 0);
            for pair in all.windows(2) {
                assert!(pair[1].interest <= pair[0].interest);
                assert!(pair[1].remaining <= pair[0].remaining);
                if pair[1].index < n && pair[1].remaining > 0 {
                    assert!(
                        pair[1].principal >= pair[0].principal,
                        "{principal} {rate} {period} {n}: {pair:?}"
                    );
                }
            }
            for row in &all {
                assert!(payment >= row.interest, "{principal} {rate} {period} {n}");
            }
        }
    }

    #[test]
    fn installments_are_paid_in_order_out_of_the_cumulative_repaid() {
        assert_eq!(installments_paid(&progress(0, 100, 3), false), 0);
        assert_eq!(installments_paid(&progress(99, 100, 3), false), 0);
        assert_eq!(installments_paid(&progress(100, 100, 3), false), 1);
        assert_eq!(installments_paid(&progress(250, 100, 3), false), 2);
        // The last only once the debt is zero.
        assert_eq!(installments_paid(&progress(10_000, 100, 3), false), 2);
        assert_eq!(installments_paid(&progress(10, 100, 3), true), 3);
        assert_eq!(installments_paid(&progress(5, 100, 1), false), 0);
        // The amounts sum to `repaid`.
        let repaid = 260;
        let amounts: Vec<u128> = (1..=3)
            .map(|k| installment_paid_amount(&progress(repaid, 100, 3), k))
            .collect();
        assert_eq!(amounts, [100, 100, 60]);
        assert_eq!(installment_paid_amount(&progress(150, 100, 3), 3), 0);
        assert_eq!(installment_paid_amount(&progress(150, 100, 3), 2), 50);
        assert_eq!(installment_paid_amount(&progress(350, 100, 3), 3), 150);
    }

    #[test]
    fn due_times_round_up_per_installment() {
        assert_eq!(installment_due(100, 1, DAY, DAY), Some(2 * DAY));
        assert_eq!(installment_due(0, 1, DAY, DAY), Some(DAY));
        assert_eq!(installment_due(100, 3, DAY, DAY), Some(4 * DAY));
        assert_eq!(installment_due(0, 2, DAY, DAY), Some(2 * DAY));
        assert_eq!(installment_due(u64::MAX, 1, DAY, DAY), None);
    }
}
