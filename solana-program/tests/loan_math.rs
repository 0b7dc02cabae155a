//! The Rust loan arithmetic against shared/vectors/loan-math.json, which the
//! TypeScript reference writes.
use loanbridge_program::math::{accrued_interest, collateral_value, exceeds_ltv, U256};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/vectors/loan-math.json"
    );
    let text = std::fs::read_to_string(path).expect("read loan-math.json");
    serde_json::from_str(&text).expect("parse loan-math.json")
}

fn cases<'a>(vectors: &'a Value, kind: &str) -> &'a [Value] {
    let cases = vectors[kind].as_array().expect("an array of cases");
    assert!(!cases.is_empty(), "no {kind} cases");
    cases
}

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {case}"))
}

/// Decimal text to U256, so results wider than u128 compare exactly.
fn u256(decimal: &str) -> U256 {
    decimal.bytes().fold(U256::ZERO, |acc, digit| {
        let shifted = acc.checked_mul_u64(10).expect("fits 256 bits");
        let sum = shifted.0[0].overflowing_add((digit - b'0') as u64);
        let mut limbs = shifted.0;
        limbs[0] = sum.0;
        let mut carry = sum.1;
        for limb in limbs.iter_mut().skip(1) {
            if !carry {
                break;
            }
            (*limb, carry) = limb.overflowing_add(1);
        }
        U256(limbs)
    })
}

fn parse<T: std::str::FromStr>(case: &Value, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    field(case, name)
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

#[test]
fn accrued_interest_matches_every_vector() {
    let vectors = vectors();
    let mut failures = Vec::new();
    for case in cases(&vectors, "accruedInterest") {
        let expected = u256(field(case, "interest")).to_u128();
        let got = accrued_interest(
            parse(case, "principal"),
            parse(case, "rateBps"),
            parse(case, "elapsedSeconds"),
        );
        if got != expected {
            failures.push(format!(
                "{}: expected {expected:?}, got {got:?}",
                field(case, "name")
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn collateral_value_matches_every_vector() {
    let vectors = vectors();
    let mut failures = Vec::new();
    for case in cases(&vectors, "collateralValue") {
        let expected = u256(field(case, "value"));
        let got = collateral_value(parse(case, "amount"), parse(case, "price"));
        if got != expected {
            failures.push(format!(
                "{}: expected {expected:?}, got {got:?}",
                field(case, "name")
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn exceeds_ltv_matches_every_vector() {
    let vectors = vectors();
    let mut failures = Vec::new();
    for case in cases(&vectors, "exceedsLtv") {
        let expected = case["exceeds"].as_bool().expect("exceeds is a boolean");
        let got = exceeds_ltv(
            parse(case, "debt"),
            u256(field(case, "value")),
            parse(case, "ltvBps"),
        );
        if got != expected {
            failures.push(format!(
                "{}: expected {expected}, got {got}",
                field(case, "name")
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
