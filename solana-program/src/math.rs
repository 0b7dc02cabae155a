//! Loan arithmetic of shared/LOANS.md, exact and rounded down, identical to
//! the TypeScript reference (shared/vectors/loan-math.json).
//!
//! Upstream LLVM's BPF backend refuses 128-bit multiplication and division
//! (`__multi3`, `__udivti3`), so products are built from 32-bit halves into a
//! 256-bit integer and division is long division: by 32-bit digits when the
//! divisor fits 32 bits (native 64-bit divisions), bit by bit otherwise.
//! 128-bit shifts, additions and comparisons lower to 64-bit instructions and
//! are fine.

/// Basis points in one.
pub const BPS: u64 = 10_000;
/// Seconds in the 365-day year interest is quoted for.
pub const SECONDS_PER_YEAR: u64 = 31_536_000;
/// Prices are stablecoin base units per 10^18 collateral base units.
pub const PRICE_SCALE: u64 = 1_000_000_000_000_000_000;

/// An unsigned 256-bit integer, four 64-bit limbs, least significant first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct U256(pub [u64; 4]);

impl U256 {
    pub const ZERO: U256 = U256([0; 4]);
    pub const MAX: U256 = U256([u64::MAX; 4]);

    /// The value from 32 little-endian bytes (how accounts store it).
    pub fn from_le_bytes(bytes: &[u8; 32]) -> Self {
        let mut limbs = [0u64; 4];
        for (limb, chunk) in limbs.iter_mut().zip(bytes.as_chunks::<8>().0) {
            *limb = u64::from_le_bytes(*chunk);
        }
        U256(limbs)
    }

    /// The value as 32 little-endian bytes.
    pub fn to_le_bytes(self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (chunk, limb) in bytes.as_chunks_mut::<8>().0.iter_mut().zip(self.0) {
            *chunk = limb.to_le_bytes();
        }
        bytes
    }

    /// `self + other`, or [`U256::MAX`] past 256 bits.
    pub fn saturating_add(self, other: U256) -> U256 {
        let mut sum = [0u64; 4];
        let mut carry = false;
        for ((out, a), b) in sum.iter_mut().zip(self.0).zip(other.0) {
            let (partial, c1) = a.overflowing_add(b);
            let (total, c2) = partial.overflowing_add(carry as u64);
            *out = total;
            carry = c1 || c2;
        }
        if carry {
            U256::MAX
        } else {
            U256(sum)
        }
    }

    /// `self − other`, or zero below zero.
    pub fn saturating_sub(self, other: U256) -> U256 {
        if other >= self {
            return U256::ZERO;
        }
        let mut difference = [0u64; 4];
        let mut borrow = false;
        for ((out, a), b) in difference.iter_mut().zip(self.0).zip(other.0) {
            let (partial, b1) = a.overflowing_sub(b);
            let (total, b2) = partial.overflowing_sub(borrow as u64);
            *out = total;
            borrow = b1 || b2;
        }
        U256(difference)
    }

    /// The value as `u128`, or `u128::MAX` if it is wider.
    pub fn saturating_u128(self) -> u128 {
        self.to_u128().unwrap_or(u128::MAX)
    }

    pub const fn from_u128(value: u128) -> Self {
        U256([value as u64, (value >> 64) as u64, 0, 0])
    }

    /// The value as `u128`, or `None` if it is wider.
    pub const fn to_u128(self) -> Option<u128> {
        if self.0[2] != 0 || self.0[3] != 0 {
            return None;
        }
        Some(((self.0[1] as u128) << 64) | self.0[0] as u128)
    }

    /// Position of the highest set bit plus one; zero for zero.
    pub fn bit_length(self) -> usize {
        match self.0.iter().rposition(|&limb| limb != 0) {
            Some(i) => 64 * i + 64 - self.0[i].leading_zeros() as usize,
            None => 0,
        }
    }

    /// `self × factor`, or `None` on overflow past 256 bits.
    pub fn checked_mul_u64(self, factor: u64) -> Option<U256> {
        let mut product = [0u64; 4];
        let mut carry = 0u64;
        for (limb, out) in self.0.iter().zip(product.iter_mut()) {
            let (high, low) = mul_u64(*limb, factor);
            let (sum, overflowed) = low.overflowing_add(carry);
            *out = sum;
            // high ≤ 2^64 − 2, so adding one carry bit cannot wrap.
            carry = high + overflowed as u64;
        }
        (carry == 0).then_some(U256(product))
    }

    /// `self / divisor`, rounded down; `None` for a zero divisor.
    pub fn checked_div_u64(self, divisor: u64) -> Option<U256> {
        if divisor == 0 {
            return None;
        }
        if let Ok(small) = u32::try_from(divisor) {
            return Some(self.div_u32(small));
        }
        // Long division by 64-bit digits, most significant first: each step
        // divides `remainder × 2^64 + limb` (remainder below the divisor) by
        // the divisor with [`div_128_by_64`], four steps in all instead of
        // one per bit of the dividend.
        let mut quotient = [0u64; 4];
        let mut remainder = 0u64;
        for (limb, out) in self.0.iter().zip(quotient.iter_mut()).rev() {
            (*out, remainder) = div_128_by_64(remainder, *limb, divisor);
        }
        Some(U256(quotient))
    }

    /// `self / divisor`, rounded down, for a 128-bit divisor; `None` for
    /// zero. A divisor that fits 64 bits takes [`U256::checked_div_u64`];
    /// a wider one (rare: the schedule's discount at absurd rates) long
    /// division bit by bit.
    pub fn checked_div_u128(self, divisor: u128) -> Option<U256> {
        if let Ok(narrow) = u64::try_from(divisor) {
            return self.checked_div_u64(narrow);
        }
        let mut quotient = [0u64; 4];
        let mut remainder = 0u128;
        for bit in (0..self.bit_length()).rev() {
            let limb = bit / 64;
            // remainder < divisor; shifted left it may pass 2^128: the bit
            // shifted out then makes it larger than the divisor.
            let carry = remainder >> 127;
            remainder = (remainder << 1) | ((self.0[limb] >> (bit % 64)) & 1) as u128;
            if carry == 1 || remainder >= divisor {
                remainder = remainder.wrapping_sub(divisor);
                quotient[limb] |= 1 << (bit % 64);
            }
        }
        Some(U256(quotient))
    }

    /// `self / 10^18`, rounded down (the price and schedule scale).
    pub fn div_scale(self) -> U256 {
        PRICE_SCALE_FACTORS
            .iter()
            .fold(self, |value, factor| value.div_u32(*factor))
    }

    /// `self / divisor` for a non-zero 32-bit divisor, rounded down: long
    /// division by 32-bit digits, most significant first, each step one
    /// native 64-bit division (the remainder is below the divisor, so
    /// `remainder × 2^32 + digit` fits 64 bits): 8 steps instead of one per
    /// bit of the dividend.
    fn div_u32(self, divisor: u32) -> U256 {
        let divisor = divisor as u64;
        let mut quotient = [0u64; 4];
        let mut remainder = 0u64;
        for (limb, out) in self.0.iter().zip(quotient.iter_mut()).rev() {
            let high = (remainder << 32) | (limb >> 32);
            let (q_high, r_high) = (high / divisor, high % divisor);
            let low = (r_high << 32) | (limb & 0xffff_ffff);
            let (q_low, r_low) = (low / divisor, low % divisor);
            *out = (q_high << 32) | q_low;
            remainder = r_low;
        }
        U256(quotient)
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

/// `a × b` as (high, low) 64-bit halves, from four 32×32-bit products.
pub fn mul_u64(a: u64, b: u64) -> (u64, u64) {
    let (a_lo, a_hi) = (a & 0xffff_ffff, a >> 32);
    let (b_lo, b_hi) = (b & 0xffff_ffff, b >> 32);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    // Each term is below 2^32, so the sum fits in 64 bits.
    let middle = (lo_lo >> 32) + (hi_lo & 0xffff_ffff) + (lo_hi & 0xffff_ffff);
    let low = (middle << 32) | (lo_lo & 0xffff_ffff);
    let high = hi_hi + (hi_lo >> 32) + (lo_hi >> 32) + (middle >> 32);
    (high, low)
}

/// `(high × 2^64 + low) / divisor` and its remainder, for `high <
/// divisor` (so the quotient fits 64 bits): Knuth's algorithm D with 32-bit
/// digits (Hacker's Delight `divlu`), native 64-bit divisions only; upstream
/// BPF cannot divide 128-bit integers.
pub fn div_128_by_64(high: u64, low: u64, divisor: u64) -> (u64, u64) {
    const DIGIT: u64 = 1 << 32;
    const MASK: u64 = DIGIT - 1;
    debug_assert!(high < divisor);
    // Normalize: the divisor's top bit set, the dividend shifted alike.
    let shift = divisor.leading_zeros();
    let divisor = divisor << shift;
    let (d1, d0) = (divisor >> 32, divisor & MASK);
    let top = if shift == 0 {
        high
    } else {
        (high << shift) | (low >> (64 - shift))
    };
    let rest = low << shift;
    let (n1, n0) = (rest >> 32, rest & MASK);
    // One 32-bit quotient digit of `(top × 2^32 + next) / divisor`, where
    // `top < divisor`: estimated from the divisor's high digit, then
    // corrected (at most twice). Every product stays below 2^64: `q < 2^32`
    // is checked before `q × d0`, and `rhat < 2^32` before `rhat × 2^32`.
    // (Wrapping multiplications: a checked one lowers to a 128-bit
    // multiply, which upstream BPF refuses; neither can overflow here.)
    let digit = |top: u64, next: u64| -> u64 {
        let mut q = top / d1;
        // q × d1 ≤ top.
        let mut rhat = top - q.wrapping_mul(d1);
        while q >= DIGIT || q.wrapping_mul(d0) > (rhat << 32) + next {
            q -= 1;
            rhat += d1;
            if rhat >= DIGIT {
                break;
            }
        }
        q
    };
    let q1 = digit(top, n1);
    // The partial remainder is below the divisor, so the wrapping
    // arithmetic gives it exactly.
    let middle = (top << 32)
        .wrapping_add(n1)
        .wrapping_sub(q1.wrapping_mul(divisor));
    let q0 = digit(middle, n0);
    let remainder = (middle << 32)
        .wrapping_add(n0)
        .wrapping_sub(q0.wrapping_mul(divisor));
    ((q1 << 32) | q0, remainder >> shift)
}

/// `a × b`, or `None` past `u64::MAX`. `u64::checked_mul` lowers to a
/// 128-bit multiply (`__multi3`) that upstream BPF cannot compile.
pub fn checked_mul(a: u64, b: u64) -> Option<u64> {
    match mul_u64(a, b) {
        (0, low) => Some(low),
        _ => None,
    }
}

/// `a × b / c` for 64-bit operands, rounded down or up; `None` for a zero
/// divisor or a result past `u64::MAX`. The product is exact (128 bits).
pub fn mul_div_u64(a: u64, b: u64, c: u64, round_up: bool) -> Option<u64> {
    let (high, low) = mul_u64(a, b);
    let product = U256([low, high, 0, 0]);
    let quotient = product.checked_div_u64(c)?;
    let exact = quotient.checked_mul_u64(c)? == product;
    let floor = u64::try_from(quotient.to_u128()?).ok()?;
    if round_up && !exact {
        floor.checked_add(1)
    } else {
        Some(floor)
    }
}

/// `a × b` for 128-bit operands, exactly.
pub fn mul_u128(a: u128, b: u128) -> U256 {
    let (a0, a1) = (a as u64, (a >> 64) as u64);
    let (b0, b1) = (b as u64, (b >> 64) as u64);
    let mut limbs = [0u64; 4];
    for (i, x) in [a0, a1].into_iter().enumerate() {
        let mut carry = 0u64;
        for (j, y) in [b0, b1].into_iter().enumerate() {
            let (high, low) = mul_u64(x, y);
            let (sum, c1) = limbs[i + j].overflowing_add(low);
            let (sum, c2) = sum.overflowing_add(carry);
            limbs[i + j] = sum;
            // high ≤ 2^64 − 2 and at most two carries: cannot wrap.
            carry = high + c1 as u64 + c2 as u64;
        }
        limbs[i + 2] = carry;
    }
    U256(limbs)
}

/// Interest on `principal` at `rate_bps` a year over `elapsed_seconds`;
/// `None` if it does not fit in `u128`.
pub fn accrued_interest(principal: u128, rate_bps: u32, elapsed_seconds: u64) -> Option<u128> {
    mul_u128(principal, rate_bps as u128)
        .checked_mul_u64(elapsed_seconds)?
        .checked_div_u64(BPS * SECONDS_PER_YEAR)?
        .to_u128()
}

/// `10,000 × 31,536,000`: interest is `principal × rateBps × seconds` over this.
pub const INTEREST_SCALE: u64 = BPS * SECONDS_PER_YEAR;

/// `principal × rate_bps × elapsed`, exactly: a loan's interest in units of
/// `base × bps × seconds` (at most 160 bits).
pub fn scaled_interest(principal: u64, rate_bps: u32, elapsed_seconds: u64) -> U256 {
    mul_u128(principal as u128, rate_bps as u128)
        .checked_mul_u64(elapsed_seconds)
        // 64 + 32 + 64 bits fit in 256.
        .unwrap_or(U256::MAX)
}

/// Scaled interest in base units, rounded down and saturated at `u128::MAX`.
pub fn interest_of_scaled(scaled: U256) -> u128 {
    scaled
        .checked_div_u64(INTEREST_SCALE)
        .unwrap_or(U256::ZERO)
        .saturating_u128()
}

/// A loan's rate weight `principal × rate_bps` (at most 96 bits).
pub fn rate_weight(principal: u64, rate_bps: u32) -> u128 {
    let (high, low) = mul_u64(principal, rate_bps as u64);
    ((high as u128) << 64) | low as u128
}

/// [`PRICE_SCALE`] = 10^18 = 2^18 × 1,953,125 × 1,953,125: three factors
/// below 2^32, so dividing by each in turn (floor of floors is the floor of
/// the whole) takes [`U256::div_u32`]'s 8 steps thrice, not one per bit.
const PRICE_SCALE_FACTORS: [u32; 3] = [1 << 18, 1_953_125, 1_953_125];
const _: () = assert!(
    PRICE_SCALE_FACTORS[0] as u64 * PRICE_SCALE_FACTORS[1] as u64 * PRICE_SCALE_FACTORS[2] as u64
        == PRICE_SCALE
);

/// Value of `amount` collateral base units at `price`, in stablecoin base units.
pub fn collateral_value(amount: u128, price: u128) -> U256 {
    PRICE_SCALE_FACTORS
        .iter()
        .fold(mul_u128(amount, price), |value, factor| {
            value.div_u32(*factor)
        })
}

/// Whether `debt` is above `ltv_bps` of `value`: `debt × 10,000 > value × ltv_bps`.
pub fn exceeds_ltv(debt: u128, value: U256, ltv_bps: u32) -> bool {
    let scaled_debt = mul_u128(debt, BPS as u128);
    match value.checked_mul_u64(ltv_bps as u64) {
        Some(limit) => scaled_debt > limit,
        // A limit past 256 bits is above any 128-bit debt.
        None => false,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn mul_u64_matches_native_128_bit_product() {
        let samples = [
            0,
            1,
            2,
            0xffff_ffff,
            1 << 32,
            u64::MAX - 1,
            u64::MAX,
            0x1234_5678_9abc_def0,
        ];
        for a in samples {
            for b in samples {
                let expected = a as u128 * b as u128;
                assert_eq!(
                    mul_u64(a, b),
                    ((expected >> 64) as u64, expected as u64),
                    "{a} × {b}"
                );
            }
        }
    }

    #[test]
    fn checked_mul_matches_native_checked_mul() {
        let samples = [
            0,
            1,
            2,
            3,
            0xffff_ffff,
            1 << 32,
            u64::MAX / 2,
            u64::MAX,
            6960,
        ];
        for a in samples {
            for b in samples {
                assert_eq!(checked_mul(a, b), a.checked_mul(b), "{a} × {b}");
            }
        }
    }

    #[test]
    fn mul_div_u64_matches_native_128_bit_arithmetic() {
        let samples = [
            0u64,
            1,
            2,
            3,
            7,
            1_000,
            999_999_937,
            u32::MAX as u64,
            u64::MAX / 3,
            u64::MAX,
        ];
        for a in samples {
            for b in samples {
                for c in samples {
                    let product = a as u128 * b as u128;
                    let expected = |round_up: bool| {
                        if c == 0 {
                            return None;
                        }
                        let floor = product / c as u128;
                        let value = if round_up && !product.is_multiple_of(c as u128) {
                            floor + 1
                        } else {
                            floor
                        };
                        u64::try_from(value).ok()
                    };
                    assert_eq!(
                        mul_div_u64(a, b, c, false),
                        expected(false),
                        "{a} × {b} / {c}"
                    );
                    assert_eq!(
                        mul_div_u64(a, b, c, true),
                        expected(true),
                        "⌈{a} × {b} / {c}⌉"
                    );
                }
            }
        }
    }

    #[test]
    fn mul_u128_of_maxima_is_exact() {
        // (2^128 − 1)^2 = 2^256 − 2^129 + 1
        let product = mul_u128(u128::MAX, u128::MAX);
        assert_eq!(product, U256([1, 0, u64::MAX - 1, u64::MAX]));
    }

    #[test]
    fn checked_mul_u64_reports_overflow() {
        assert_eq!(U256([0, 0, 0, 1 << 63]).checked_mul_u64(2), None);
        assert_eq!(
            U256([0, 0, 0, 1 << 62]).checked_mul_u64(2),
            Some(U256([0, 0, 0, 1 << 63]))
        );
    }

    #[test]
    fn checked_div_u64_matches_native_division_below_2_128() {
        let dividends = [
            0u128,
            1,
            999,
            u64::MAX as u128,
            u128::MAX,
            1 << 100,
            12345678901234567890123,
        ];
        let divisors = [
            1u64,
            3,
            10_000,
            PRICE_SCALE,
            BPS * SECONDS_PER_YEAR,
            u64::MAX,
        ];
        for x in dividends {
            for d in divisors {
                let quotient = U256::from_u128(x).checked_div_u64(d).unwrap();
                assert_eq!(quotient.to_u128(), Some(x / d as u128), "{x} / {d}");
            }
        }
        assert_eq!(U256::from_u128(5).checked_div_u64(0), None);
    }

    /// The bit-by-bit long division, the reference [`U256::div_u32`] must match.
    fn div_by_bits(x: U256, divisor: u64) -> U256 {
        let mut quotient = [0u64; 4];
        let mut remainder = 0u128;
        for bit in (0..256).rev() {
            remainder = (remainder << 1) | ((x.0[bit / 64] >> (bit % 64)) & 1) as u128;
            if remainder >= divisor as u128 {
                remainder -= divisor as u128;
                quotient[bit / 64] |= 1 << (bit % 64);
            }
        }
        U256(quotient)
    }

    #[test]
    fn div_u32_matches_bitwise_long_division_over_256_bits() {
        let dividends = [
            U256::ZERO,
            U256::from_u128(1),
            U256::from_u128(u128::MAX),
            U256::MAX,
            U256([0, 0, 0, 1]),
            U256([u64::MAX, 0, u64::MAX, 0]),
            U256([0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 7, 1 << 63]),
            mul_u128(u128::MAX, u128::MAX),
        ];
        let divisors = [
            1u32,
            2,
            3,
            10_000,
            1 << 18,
            1_953_125,
            u32::MAX - 1,
            u32::MAX,
        ];
        for x in dividends {
            for d in divisors {
                assert_eq!(x.div_u32(d), div_by_bits(x, d as u64), "{x:?} / {d}");
                assert_eq!(x.checked_div_u64(d as u64), Some(div_by_bits(x, d as u64)));
            }
        }
    }

    #[test]
    fn div_128_by_64_matches_native_128_bit_division() {
        let samples = [
            1u64,
            2,
            3,
            0xffff_ffff,
            1 << 32,
            (1 << 32) + 1,
            999_999_999_999_999_989,
            INTEREST_SCALE,
            PRICE_SCALE,
            1 << 63,
            (1 << 63) + 1,
            u64::MAX / 3,
            u64::MAX - 1,
            u64::MAX,
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut divisors = samples.to_vec();
        divisors.extend((0..200).map(|i| next() >> (i % 64)).filter(|d| *d != 0));
        for divisor in divisors {
            let mut highs = std::vec![0, divisor - 1, divisor / 2];
            highs.extend((0..20).map(|_| next() % divisor));
            for high in highs {
                for low in samples.iter().copied().chain([0, next(), next()]) {
                    let dividend = ((high as u128) << 64) | low as u128;
                    let expected = (
                        (dividend / divisor as u128) as u64,
                        (dividend % divisor as u128) as u64,
                    );
                    assert_eq!(
                        div_128_by_64(high, low, divisor),
                        expected,
                        "{dividend} / {divisor}"
                    );
                }
            }
        }
    }

    #[test]
    fn checked_div_u64_and_u128_match_bitwise_long_division() {
        let dividends = [
            U256::ZERO,
            U256::from_u128(u128::MAX),
            U256::MAX,
            U256([0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 7, 1 << 63]),
            mul_u128(u128::MAX, u128::MAX),
            mul_u128(PRICE_SCALE as u128, PRICE_SCALE as u128),
        ];
        for x in dividends {
            for d in [1u64 << 32, PRICE_SCALE, INTEREST_SCALE, u64::MAX] {
                assert_eq!(x.checked_div_u64(d), Some(div_by_bits(x, d)), "{x:?} / {d}");
                assert_eq!(x.checked_div_u128(d as u128), Some(div_by_bits(x, d)));
            }
        }
        // Wide divisors, against u128 arithmetic.
        for (x, d) in [
            (u128::MAX, u128::MAX),
            (u128::MAX, (1u128 << 127) + 1),
            (u128::MAX, 1u128 << 64),
            (10u128.pow(36), 10u128.pow(18) + (1 << 70)),
            (12_345_678_901_234_567_890_123, 98_765_432_109_876_543_210),
        ] {
            assert_eq!(
                U256::from_u128(x).checked_div_u128(d),
                Some(U256::from_u128(x / d)),
                "{x} / {d}"
            );
        }
        assert_eq!(
            U256::MAX.checked_div_u128(1 << 64),
            Some(U256([u64::MAX, u64::MAX, u64::MAX, 0]))
        );
        assert_eq!(U256::MAX.checked_div_u128(0), None);
        assert_eq!(
            mul_u128(PRICE_SCALE as u128, 7).div_scale(),
            U256::from_u128(7)
        );
    }

    #[test]
    fn collateral_value_is_the_product_divided_by_the_price_scale() {
        let samples = [
            0u128,
            1,
            999_999_999_999_999_999,
            1_000_000_000_000_000_000,
            3_000_000_000,
            u64::MAX as u128,
            u128::MAX,
        ];
        for amount in samples {
            for price in samples {
                assert_eq!(
                    collateral_value(amount, price),
                    div_by_bits(mul_u128(amount, price), PRICE_SCALE),
                    "{amount} × {price}"
                );
            }
        }
    }

    #[test]
    fn bit_length_counts_to_the_highest_set_bit() {
        assert_eq!(U256::ZERO.bit_length(), 0);
        assert_eq!(U256::from_u128(1).bit_length(), 1);
        assert_eq!(U256::from_u128(1 << 64).bit_length(), 65);
        assert_eq!(U256([0, 0, 0, u64::MAX]).bit_length(), 256);
    }

    #[test]
    fn saturating_add_and_sub_match_native_arithmetic_and_clamp() {
        let samples = [
            0u128,
            1,
            u64::MAX as u128,
            1 << 64,
            u128::MAX / 3,
            u128::MAX,
        ];
        for a in samples {
            for b in samples {
                let sum = U256::from_u128(a).saturating_add(U256::from_u128(b));
                let expected = U256([
                    a.wrapping_add(b) as u64,
                    (a.wrapping_add(b) >> 64) as u64,
                    a.checked_add(b).is_none() as u64,
                    0,
                ]);
                assert_eq!(sum, expected, "{a} + {b}");
                assert_eq!(
                    U256::from_u128(a).saturating_sub(U256::from_u128(b)),
                    U256::from_u128(a.saturating_sub(b)),
                    "{a} - {b}"
                );
            }
        }
        assert_eq!(U256::MAX.saturating_add(U256::from_u128(1)), U256::MAX);
        assert_eq!(U256([0, 0, 1, 0]).saturating_u128(), u128::MAX);
        let value = U256([1, 2, 3, u64::MAX]);
        assert_eq!(U256::from_le_bytes(&value.to_le_bytes()), value);
    }

    #[test]
    fn scaled_interest_is_exact_and_its_interest_saturates() {
        // 10% on 31,536,000,000 for one second: 100 base units exactly.
        let scaled = scaled_interest(31_536_000_000, 1_000, 1);
        assert_eq!(interest_of_scaled(scaled), 100);
        assert_eq!(scaled.to_u128(), Some(31_536_000_000_000u128));
        // The widest accrual is exact (160 bits) and fits u128 as interest;
        // wider scaled values clamp.
        let widest = scaled_interest(u64::MAX, u32::MAX, u64::MAX);
        assert_eq!(widest.bit_length(), 160);
        assert!(interest_of_scaled(widest) < u128::MAX);
        assert_eq!(interest_of_scaled(U256::MAX), u128::MAX);
        assert_eq!(
            rate_weight(u64::MAX, u32::MAX),
            u64::MAX as u128 * u32::MAX as u128
        );
    }

    #[test]
    fn ordering_compares_most_significant_limb_first() {
        assert!(U256([0, 0, 0, 1]) > U256([u64::MAX, u64::MAX, u64::MAX, 0]));
        assert!(U256([2, 0, 0, 0]) > U256([1, 0, 0, 0]));
    }
}
