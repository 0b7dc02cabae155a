//! Due buckets (shared/LOANS.md "Overdue loans leave pool assets at their
//! due time"): pool assets count only *performing* loans, those not past
//! their due time, so lenders who leave before a default is declared cannot
//! leave the loss to those who stay.
//!
//! A loan's due time is a multiple of the pool's width W and its bucket is
//! `due_time / W`. A ring of [`DUE_BUCKETS`] slots holds, per bucket, the
//! sums principal, recorded interest, `rate_weight = Σ principal ×
//! rate_bps` and `anchor = Σ principal × rate_bps × last_accrual`; the
//! pool's totals are the sums over the buckets not yet due, so the
//! performing loans' interest accrued to now is exactly `now × rate_weight
//! − anchor` (base × bps × seconds), rounded down once. [`flush`] removes
//! every due bucket (`index × W < now`) from the totals; [`performing_at`]
//! does the same without writing, for instructions that only read the pool.
//! Terms are at most [`MAX_TERM_BUCKETS`] × W, so every live bucket lies in
//! `[cursor, cursor + 62]` once flushed and has a slot of its own.
//!
//! Bounds: principal is `u64` and rates at most `MAX_RATE_BPS` (17 bits),
//! so a loan's anchor part is below 2^145 and every sum fits in 256 bits;
//! interest sums saturate at `u128::MAX` like the loans' own interest.

use crate::math::{checked_mul, interest_of_scaled, rate_weight, U256};
use crate::state::{DueBucket, Pool, PoolLoan, DUE_BUCKETS, U128, U64};

/// Longest term in buckets: a loan opened anywhere in the cursor's bucket
/// falls at most 62 buckets past it, leaving a slot to spare in the ring.
pub const MAX_TERM_BUCKETS: u64 = 62;
/// Narrowest due bucket (one hour).
pub const MIN_DUE_BUCKET_SECONDS: u64 = 3_600;
/// Widest due bucket (365 days).
pub const MAX_DUE_BUCKET_SECONDS: u64 = 31_536_000;

/// The four sums of a bucket or of the pool, as numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub principal: u64,
    pub interest: u128,
    pub rate_weight: u128,
    pub anchor: U256,
}

impl Sums {
    /// One loan's parts with its accrual at `at`: principal, `interest`,
    /// `principal × rate_bps` and that times `at`.
    pub fn of_loan(principal: u64, interest: u128, rate_bps: u32, at: u64) -> Sums {
        let rate_weight = rate_weight(principal, rate_bps);
        Sums {
            principal,
            interest,
            rate_weight,
            anchor: U256::from_u128(rate_weight)
                .checked_mul_u64(at)
                .unwrap_or(U256::MAX),
        }
    }

    fn of_bucket(bucket: &DueBucket) -> Sums {
        Sums {
            principal: bucket.principal.get(),
            interest: bucket.interest.get(),
            rate_weight: bucket.rate_weight.get(),
            anchor: U256::from_le_bytes(&bucket.anchor),
        }
    }

    fn of_pool(pool: &Pool) -> Sums {
        Sums {
            principal: pool.performing_principal.get(),
            interest: pool.performing_interest.get(),
            rate_weight: pool.rate_weight.get(),
            anchor: U256::from_le_bytes(&pool.anchor),
        }
    }

    /// `self + other`, each sum saturating at its bounds.
    pub fn plus(&self, other: &Sums) -> Sums {
        self.moved(other, &Sums::default())
    }

    /// `self + add − sub`, each sum saturating at its bounds.
    fn moved(self, add: &Sums, sub: &Sums) -> Sums {
        Sums {
            principal: self
                .principal
                .saturating_add(add.principal)
                .saturating_sub(sub.principal),
            interest: self
                .interest
                .saturating_add(add.interest)
                .saturating_sub(sub.interest),
            rate_weight: self
                .rate_weight
                .saturating_add(add.rate_weight)
                .saturating_sub(sub.rate_weight),
            anchor: self
                .anchor
                .saturating_add(add.anchor)
                .saturating_sub(sub.anchor),
        }
    }

    /// `⌊(now × rate_weight − anchor) / (10,000 × 31,536,000)⌋`: the
    /// interest accrued since the loans' last accruals, summed exactly and
    /// rounded down once. Each loan's anchor part is `principal × rate ×
    /// last_accrual` with `last_accrual ≤ now`, so it cannot go below zero.
    pub fn accrued_since(&self, now: u64) -> u128 {
        let owed = U256::from_u128(self.rate_weight)
            .checked_mul_u64(now)
            .unwrap_or(U256::MAX);
        interest_of_scaled(owed.saturating_sub(self.anchor))
    }
}

/// `⌈(start + term) / W⌉ × W`: due times round up to the bucket boundary
/// (the borrower gets up to W − 1 s more); `None` past `u64`.
pub fn due_time(start: u64, term: u64, width: u64) -> Option<u64> {
    checked_mul(start.checked_add(term)?.div_ceil(width), width)
}

/// The first bucket not yet due at `now`, `⌈now / W⌉`: bucket `b` is due
/// (its loans overdue) when `b × W < now`.
pub fn first_not_due(now: u64, width: u64) -> u64 {
    now.div_ceil(width)
}

/// Whether an active loan still counts in the pool's sums: not `off_book`
/// and its bucket, that of its first unpaid installment
/// ([`super::booked_due`]), is at or past the cursor. After a [`flush`] to
/// `now` that is exactly "that installment not past its due time" (at the
/// due time itself it is on time), and it stays right if the cluster clock
/// ever steps back: a flushed bucket is never touched again. A loan found
/// not performing is marked `off_book` by its next repayment, so a catch-up
/// payment that moves its first unpaid installment into a live bucket
/// never brings it back.
pub fn is_performing(pool: &Pool, loan: &PoolLoan) -> bool {
    is_performing_at(
        pool,
        loan,
        super::booked_due(loan, pool.due_bucket_seconds.get()),
    )
}

/// [`is_performing`] for a loan booked at `booked_due` (its
/// [`super::booked_due`], computed once by the caller).
pub fn is_performing_at(pool: &Pool, loan: &PoolLoan, booked_due: u64) -> bool {
    loan.off_book == 0 && booked_due / pool.due_bucket_seconds.get() >= pool.due_cursor.get()
}

/// [`adjust`] for a performing loan whose first unpaid installment moved
/// (shared/LOANS.md "Pool assets"): the totals take `add − sub` as usual;
/// the bucket of `from_due` takes `add − sub` and gives up `parts`, the
/// loan's parts after the change, which the bucket of `to_due` (its new
/// first unpaid installment) takes. One read and write per bucket and of
/// the totals. The caller has flushed, so both buckets are live (`to_due`
/// is at most the loan's `due_time`, within the ring since its opening).
pub fn adjust_and_move(pool: &mut Pool, (from_due, to_due): (u64, u64), change: &Moved) {
    let width = pool.due_bucket_seconds.get();
    let (from, to) = (from_due / width, to_due / width);
    if from == to {
        adjust(pool, from_due, change.add, change.sub);
        return;
    }
    let leaving = change.sub.plus(change.parts);
    let source = &mut pool.due_buckets[slot(from)];
    store_bucket(source, Sums::of_bucket(source).moved(change.add, &leaving));
    let target = &mut pool.due_buckets[slot(to)];
    store_bucket(
        target,
        Sums::of_bucket(target).moved(change.parts, &Sums::default()),
    );
    store_totals(pool, Sums::of_pool(pool).moved(change.add, change.sub));
}

/// What [`adjust_and_move`] moves.
pub struct Moved<'a> {
    /// Into the loan's sums (its accrual).
    pub add: &'a Sums,
    /// Out of them (what the payment took).
    pub sub: &'a Sums,
    /// The loan's parts after the change, which move bucket.
    pub parts: &'a Sums,
}

fn store_bucket(bucket: &mut DueBucket, sums: Sums) {
    *bucket = DueBucket {
        principal: U64::new(sums.principal),
        interest: U128::new(sums.interest),
        rate_weight: U128::new(sums.rate_weight),
        anchor: sums.anchor.to_le_bytes(),
    };
}

/// The buckets a flush at `now` removes: from the cursor to the first not
/// yet due, at most one lap of the ring (every bucket past a lap was empty:
/// a loan's bucket is at most 62 past the cursor of its opening).
fn due_range(pool: &Pool, now: u64) -> core::ops::Range<u64> {
    let cursor = pool.due_cursor.get();
    let target = first_not_due(now, pool.due_bucket_seconds.get()).max(cursor);
    cursor..target.min(cursor.saturating_add(DUE_BUCKETS as u64))
}

fn slot(index: u64) -> usize {
    (index % DUE_BUCKETS as u64) as usize
}

/// The performing sums at `now`: the stored totals without the buckets a
/// flush would remove.
pub fn performing_at(pool: &Pool, now: u64) -> Sums {
    let none = Sums::default();
    due_range(pool, now).fold(Sums::of_pool(pool), |sums, index| {
        let bucket = &pool.due_buckets[slot(index)];
        if bucket.principal.get() == 0 {
            sums
        } else {
            sums.moved(&none, &Sums::of_bucket(bucket))
        }
    })
}

/// Removes every due bucket from the performing totals and moves the
/// cursor to the first bucket not yet due.
pub fn flush(pool: &mut Pool, now: u64) {
    let range = due_range(pool, now);
    let target = first_not_due(now, pool.due_bucket_seconds.get());
    let mut gone = Sums::default();
    for index in range {
        let bucket = &mut pool.due_buckets[slot(index)];
        // Every active loan has non-zero principal (interest is paid
        // first), and a loan leaving takes out what it put in: an empty
        // bucket is all zero.
        if bucket.principal.get() == 0 {
            continue;
        }
        gone = gone.moved(&Sums::of_bucket(bucket), &Sums::default());
        *bucket = DueBucket::default();
    }
    if gone != Sums::default() {
        store_totals(pool, Sums::of_pool(pool).moved(&Sums::default(), &gone));
    }
    if target > pool.due_cursor.get() {
        pool.due_cursor.set(target);
    }
}

/// Moves a performing loan's parts in the bucket of `due_time` and in the
/// totals: each sum becomes `sum + add − sub`. The caller has flushed, so
/// the bucket is live and its slot is its own.
pub fn adjust(pool: &mut Pool, due_time: u64, add: &Sums, sub: &Sums) {
    let index = due_time / pool.due_bucket_seconds.get();
    let bucket = &mut pool.due_buckets[slot(index)];
    store_bucket(bucket, Sums::of_bucket(bucket).moved(add, sub));
    store_totals(pool, Sums::of_pool(pool).moved(add, sub));
}

fn store_totals(pool: &mut Pool, sums: Sums) {
    pool.performing_principal.set(sums.principal);
    pool.performing_interest.set(sums.interest);
    pool.rate_weight.set(sums.rate_weight);
    pool.anchor = sums.anchor.to_le_bytes();
}
