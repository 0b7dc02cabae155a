//! The Rust wire format against the shared vectors (`shared/vectors/*.json`),
//! which the TypeScript implementation generates and the Solidity suite also
//! reads: every valid vector must decode to its fields and encode back to its
//! bytes, every invalid one must fail with the spec's error name.
//!
//! Failures are collected and reported by vector name, so one run shows every
//! disagreement instead of stopping at the first.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::PathBuf;
use std::str::FromStr;

use loanbridge_program::wire::{
    attestation_digest, compute_guid, encode_packet, evm_address, evm_address_to_bytes32,
    keccak256, CollateralSeizure, LoanActive, LoanMessage, LoanRejected, MessageType, OpenLoan,
    Packet, PacketHeader, RejectReason, Repaid, WireError, ATTESTATION_DOMAIN, MESSAGE_OFFSET,
};
use serde_json::Value;

/// A structural problem with a vector (missing field, bad hex...): the
/// vector cannot be checked at all.
type Malformed = String;

/// The vector directory: `shared/vectors`, or `LOANBRIDGE_VECTORS_DIR` to
/// run the checks on other files (e.g. deliberately broken copies, to see a
/// failure reported).
fn vectors_dir() -> PathBuf {
    match std::env::var_os("LOANBRIDGE_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors"),
    }
}

fn load(file: &str) -> Value {
    let path = vectors_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// `vectors[key]` as an array, which must not be empty: an empty or missing
/// list would make every check below pass vacuously.
fn list<'a>(vectors: &'a Value, file: &str, key: &str) -> &'a [Value] {
    let list = vectors[key]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: `{key}` is not an array"));
    assert!(!list.is_empty(), "{file}: `{key}` is empty");
    list
}

fn get<'a>(object: &'a Value, key: &str) -> Result<&'a Value, Malformed> {
    object.get(key).ok_or_else(|| format!("missing `{key}`"))
}

fn string<'a>(object: &'a Value, key: &str) -> Result<&'a str, Malformed> {
    get(object, key)?
        .as_str()
        .ok_or_else(|| format!("`{key}` is not a string"))
}

/// A `0x`-prefixed byte string.
fn bytes(object: &Value, key: &str) -> Result<Vec<u8>, Malformed> {
    let text = string(object, key)?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| format!("`{key}` lacks the 0x prefix: {text}"))?;
    hex::decode(digits).map_err(|error| format!("`{key}` is not hex ({error}): {text}"))
}

fn array<const N: usize>(object: &Value, key: &str) -> Result<[u8; N], Malformed> {
    let bytes = bytes(object, key)?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| format!("`{key}` has {len} bytes, expected {N}"))
}

/// An integer: the spec writes them as decimal strings; a JSON number is
/// accepted too, so a format slip shows up as a value check, not a crash.
fn int<T: FromStr>(object: &Value, key: &str) -> Result<T, Malformed> {
    let value = get(object, key)?;
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => return Err(format!("`{key}` is not an integer: {other}")),
    };
    text.parse().map_err(|_| {
        format!(
            "`{key}` = {text} does not fit {}",
            std::any::type_name::<T>()
        )
    })
}

fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Value mismatches of one vector.
#[derive(Default)]
struct Mismatches(Vec<String>);

impl Mismatches {
    fn eq<T: PartialEq + Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.0.push(format!("{what}: got {got:?}, want {want:?}"));
        }
    }

    fn hex(&mut self, what: &str, got: &[u8], want: &[u8]) {
        if got != want {
            self.0.push(format!(
                "{what}: got {}, want {}",
                to_hex(got),
                to_hex(want)
            ));
        }
    }
}

/// Runs `check` on every vector of `list`, collecting failures as
/// `file kind[name]: problem`.
fn check_all(
    failures: &mut Vec<String>,
    file: &str,
    kind: &str,
    list: &[Value],
    mut check: impl FnMut(&Value, &mut Mismatches) -> Result<(), Malformed>,
) {
    for vector in list {
        let name = vector["name"].as_str().unwrap_or("<unnamed>");
        let mut mismatches = Mismatches::default();
        if let Err(malformed) = check(vector, &mut mismatches) {
            mismatches.0.push(format!("malformed vector: {malformed}"));
        }
        for mismatch in mismatches.0 {
            failures.push(format!("{file} {kind}[{name}]: {mismatch}"));
        }
    }
}

/// Checks that `result` failed with the vector's `error`, by the spec's name.
fn expect_error<T: Debug>(
    vector: &Value,
    result: Result<T, WireError>,
    mismatches: &mut Mismatches,
) -> Result<(), Malformed> {
    let want = string(vector, "error")?;
    if !WireError::ALL.iter().any(|error| error.name() == want) {
        mismatches
            .0
            .push(format!("`error` {want} is not an error the spec names"));
    }
    match result {
        Ok(value) => mismatches
            .0
            .push(format!("decoded as {value:?}, want error {want}")),
        Err(error) => mismatches.eq("error", error.name(), want),
    }
    Ok(())
}

fn assert_no_failures(file: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failing vector check(s) in {file}:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn packets() {
    const FILE: &str = "packets.json";
    let vectors = load(FILE);
    let mut failures = Vec::new();

    check_all(
        &mut failures,
        FILE,
        "valid",
        list(&vectors, FILE, "valid"),
        |vector, mismatches| {
            let encoded = bytes(vector, "encoded")?;
            let header = PacketHeader {
                nonce: int(vector, "nonce")?,
                src_eid: int(vector, "srcEid")?,
                sender: array(vector, "sender")?,
                dst_eid: int(vector, "dstEid")?,
                receiver: array(vector, "receiver")?,
            };
            let guid: [u8; 32] = array(vector, "guid")?;
            let message = bytes(vector, "message")?;
            let header_bytes: [u8; 81] = array(vector, "header")?;
            let payload_hash: [u8; 32] = array(vector, "payloadHash")?;

            // Decode: every accessor against the vector's fields.
            match Packet::parse(&encoded) {
                Err(error) => mismatches.0.push(format!("parse failed: {}", error.name())),
                Ok(packet) => {
                    mismatches.eq("version", packet.version(), 1);
                    mismatches.eq("nonce", packet.nonce(), header.nonce);
                    mismatches.eq("srcEid", packet.src_eid(), header.src_eid);
                    mismatches.hex("sender", packet.sender(), &header.sender);
                    mismatches.eq("dstEid", packet.dst_eid(), header.dst_eid);
                    mismatches.hex("receiver", packet.receiver(), &header.receiver);
                    mismatches.eq("header fields", packet.header_fields(), header);
                    mismatches.hex("guid", packet.guid(), &guid);
                    mismatches.hex("message", packet.message(), &message);
                    mismatches.hex("header", packet.header(), &header_bytes);
                    mismatches.hex("payloadHash", &packet.payload_hash(), &payload_hash);
                    mismatches.hex("as_bytes", packet.as_bytes(), &encoded);
                }
            }

            // Encode: from the fields back to the exact bytes.
            mismatches.hex("encoded header", &header.encode(), &header_bytes);
            mismatches.hex("computed guid", &compute_guid(&header), &guid);
            let mut out = vec![0u8; MESSAGE_OFFSET + message.len()];
            match encode_packet(&header, &message, &mut out) {
                Err(error) => mismatches.0.push(format!("encode failed: {error:?}")),
                Ok(len) => mismatches.hex("encoded", &out[..len], &encoded),
            }
            // The payload hash from its definition, independent of `Packet`.
            mismatches.hex(
                "keccak256(guid ‖ message)",
                &keccak256(&[&guid, &message]),
                &payload_hash,
            );
            Ok(())
        },
    );

    check_all(
        &mut failures,
        FILE,
        "invalid",
        list(&vectors, FILE, "invalid"),
        |vector, mismatches| {
            let encoded = bytes(vector, "encoded")?;
            expect_error(vector, Packet::parse(&encoded), mismatches)
        },
    );

    assert_no_failures(FILE, &failures);
}

/// The field names each type's `fields` object must hold, exactly.
fn field_names(message_type: MessageType) -> &'static [&'static str] {
    match message_type {
        MessageType::OpenLoan => &[
            "loanId",
            "borrower",
            "recipient",
            "collateralAsset",
            "collateralAmount",
            "principal",
            "maxRateBps",
            "termSeconds",
            "expiresAt",
            "installments",
        ],
        MessageType::LoanActive => &["loanId", "principal", "rateBps", "startTime", "dueTime"],
        MessageType::LoanRejected => &["loanId", "reason"],
        MessageType::Repaid => &["loanId", "amountRepaid"],
        MessageType::Defaulted | MessageType::Liquidated => {
            &["loanId", "outstanding", "beneficiary"]
        }
    }
}

/// The message a valid vector describes, built from its `type` and `fields`.
fn message_from_fields(message_type: MessageType, f: &Value) -> Result<LoanMessage, Malformed> {
    let keys: BTreeSet<&str> = f
        .as_object()
        .ok_or("`fields` is not an object")?
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = field_names(message_type).iter().copied().collect();
    if keys != expected {
        return Err(format!(
            "`fields` has {keys:?}, the spec's {} has {expected:?}",
            message_type.name()
        ));
    }
    let seizure = || -> Result<CollateralSeizure, Malformed> {
        Ok(CollateralSeizure {
            loan_id: array(f, "loanId")?,
            outstanding: int(f, "outstanding")?,
            beneficiary: array(f, "beneficiary")?,
        })
    };
    Ok(match message_type {
        MessageType::OpenLoan => LoanMessage::OpenLoan(OpenLoan {
            loan_id: array(f, "loanId")?,
            borrower: array(f, "borrower")?,
            recipient: array(f, "recipient")?,
            collateral_asset: array(f, "collateralAsset")?,
            collateral_amount: int(f, "collateralAmount")?,
            principal: int(f, "principal")?,
            max_rate_bps: int(f, "maxRateBps")?,
            term_seconds: int(f, "termSeconds")?,
            expires_at: int(f, "expiresAt")?,
            installments: int(f, "installments")?,
        }),
        MessageType::LoanActive => LoanMessage::LoanActive(LoanActive {
            loan_id: array(f, "loanId")?,
            principal: int(f, "principal")?,
            rate_bps: int(f, "rateBps")?,
            start_time: int(f, "startTime")?,
            due_time: int(f, "dueTime")?,
        }),
        MessageType::LoanRejected => {
            let name = string(f, "reason")?;
            let reason = RejectReason::ALL
                .into_iter()
                .find(|reason| reason.name() == name)
                .ok_or_else(|| format!("`reason` {name} is not a reason the spec names"))?;
            LoanMessage::LoanRejected(LoanRejected {
                loan_id: array(f, "loanId")?,
                reason,
            })
        }
        MessageType::Repaid => LoanMessage::Repaid(Repaid {
            loan_id: array(f, "loanId")?,
            amount_repaid: int(f, "amountRepaid")?,
        }),
        MessageType::Defaulted => LoanMessage::Defaulted(seizure()?),
        MessageType::Liquidated => LoanMessage::Liquidated(seizure()?),
    })
}

/// The type-specific encoder, so each per-type `encode` is checked directly
/// and not only through `LoanMessage::encode`.
fn encode_by_type(message: &LoanMessage) -> Vec<u8> {
    match message {
        LoanMessage::OpenLoan(message) => message.encode().to_vec(),
        LoanMessage::LoanActive(message) => message.encode().to_vec(),
        LoanMessage::LoanRejected(message) => message.encode().to_vec(),
        LoanMessage::Repaid(message) => message.encode().to_vec(),
        LoanMessage::Defaulted(message) => message.encode_defaulted().to_vec(),
        LoanMessage::Liquidated(message) => message.encode_liquidated().to_vec(),
    }
}

#[test]
fn loan_messages() {
    const FILE: &str = "loan-messages.json";
    let vectors = load(FILE);
    let mut failures = Vec::new();
    let mut types_seen = BTreeSet::new();
    let mut reasons_seen = BTreeSet::new();

    check_all(
        &mut failures,
        FILE,
        "valid",
        list(&vectors, FILE, "valid"),
        |vector, mismatches| {
            let type_name = string(vector, "type")?;
            let message_type = MessageType::ALL
                .into_iter()
                .find(|message_type| message_type.name() == type_name)
                .ok_or_else(|| format!("`type` {type_name} is not a type the spec names"))?;
            let expected = message_from_fields(message_type, get(vector, "fields")?)?;
            let encoded = bytes(vector, "encoded")?;
            types_seen.insert(type_name.to_owned());
            if let LoanMessage::LoanRejected(rejected) = &expected {
                reasons_seen.insert(rejected.reason.name());
            }

            match LoanMessage::decode(&encoded) {
                Err(error) => mismatches
                    .0
                    .push(format!("decode failed: {}", error.name())),
                Ok(decoded) => {
                    mismatches.eq("type", decoded.message_type().name(), type_name);
                    mismatches.eq("decoded", decoded, expected);
                    mismatches.hex("loanId", decoded.loan_id(), expected.loan_id());
                }
            }
            mismatches.hex(
                "LoanMessage::encode",
                expected.encode().as_bytes(),
                &encoded,
            );
            mismatches.hex("per-type encode", &encode_by_type(&expected), &encoded);
            mismatches.eq("length", encoded.len(), message_type.encoded_len());
            Ok(())
        },
    );

    check_all(
        &mut failures,
        FILE,
        "invalid",
        list(&vectors, FILE, "invalid"),
        |vector, mismatches| {
            let encoded = bytes(vector, "encoded")?;
            expect_error(vector, LoanMessage::decode(&encoded), mismatches)
        },
    );

    // So a file missing a whole type (or an empty file) cannot pass.
    for message_type in MessageType::ALL {
        if !types_seen.contains(message_type.name()) {
            failures.push(format!(
                "{FILE}: no valid vector of type {}",
                message_type.name()
            ));
        }
    }
    for reason in RejectReason::ALL {
        if !reasons_seen.contains(reason.name()) {
            failures.push(format!(
                "{FILE}: no valid vector with reason {}",
                reason.name()
            ));
        }
    }

    assert_no_failures(FILE, &failures);
}

#[test]
fn attestations() {
    const FILE: &str = "attestations.json";
    let vectors = load(FILE);
    let mut failures = Vec::new();

    match array::<32>(&vectors, "domain") {
        Ok(domain) if domain == ATTESTATION_DOMAIN => {}
        Ok(domain) => failures.push(format!(
            "{FILE} domain: got {}, want {}",
            to_hex(&ATTESTATION_DOMAIN),
            to_hex(&domain)
        )),
        Err(malformed) => failures.push(format!("{FILE} domain: malformed: {malformed}")),
    }

    check_all(
        &mut failures,
        FILE,
        "valid",
        list(&vectors, FILE, "valid"),
        |vector, mismatches| {
            let endpoint: [u8; 32] = array(vector, "endpoint")?;
            let epoch: u64 = int(vector, "epoch")?;
            let packet_bytes = bytes(vector, "packet")?;
            let header: [u8; 81] = array(vector, "header")?;
            let payload_hash: [u8; 32] = array(vector, "payloadHash")?;
            let digest: [u8; 32] = array(vector, "digest")?;

            // From the vector's own header and payload hash...
            mismatches.hex(
                "digest",
                &attestation_digest(&endpoint, epoch, &header, &payload_hash),
                &digest,
            );
            // ...and end to end from the packet, as the endpoint will.
            match Packet::parse(&packet_bytes) {
                Err(error) => mismatches
                    .0
                    .push(format!("packet parse failed: {}", error.name())),
                Ok(packet) => {
                    mismatches.hex("header", packet.header(), &header);
                    mismatches.hex("payloadHash", &packet.payload_hash(), &payload_hash);
                    mismatches.hex(
                        "digest from packet",
                        &attestation_digest(
                            &endpoint,
                            epoch,
                            packet.header(),
                            &packet.payload_hash(),
                        ),
                        &digest,
                    );
                }
            }
            Ok(())
        },
    );

    assert_no_failures(FILE, &failures);
}

/// EIP-55 mixed-case checksum of a 20-byte address, to compare with the
/// vectors' checksummed `address` exactly.
fn checksummed(address: &[u8; 20]) -> String {
    let lower = hex::encode(address);
    let hash = keccak256(&[lower.as_bytes()]);
    let mut out = String::from("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0x0f;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

#[test]
fn evm_addresses() {
    const FILE: &str = "evm-addresses.json";
    let vectors = load(FILE);
    let mut failures = Vec::new();

    check_all(
        &mut failures,
        FILE,
        "valid",
        list(&vectors, FILE, "valid"),
        |vector, mismatches| {
            let bytes32: [u8; 32] = array(vector, "bytes32")?;
            let want = string(vector, "address")?;
            match evm_address(&bytes32) {
                Err(error) => mismatches.0.push(format!("failed: {}", error.name())),
                Ok(address) => {
                    mismatches.eq("address", checksummed(&address).as_str(), want);
                    mismatches.hex("to bytes32", &evm_address_to_bytes32(&address), &bytes32);
                }
            }
            Ok(())
        },
    );

    check_all(
        &mut failures,
        FILE,
        "invalid",
        list(&vectors, FILE, "invalid"),
        |vector, mismatches| {
            let bytes32: [u8; 32] = array(vector, "bytes32")?;
            expect_error(vector, evm_address(&bytes32), mismatches)
        },
    );

    assert_no_failures(FILE, &failures);
}

/// Every error the spec names is exercised by some invalid vector, so a
/// decoder path without a vector is noticed.
#[test]
fn every_error_has_a_vector() {
    let mut seen = BTreeSet::new();
    for file in ["packets.json", "loan-messages.json", "evm-addresses.json"] {
        let vectors = load(file);
        for vector in list(&vectors, file, "invalid") {
            if let Some(error) = vector["error"].as_str() {
                seen.insert(error.to_owned());
            }
        }
    }
    let missing: Vec<&str> = WireError::ALL
        .iter()
        .map(WireError::name)
        .filter(|name| !seen.contains(*name))
        .collect();
    assert!(missing.is_empty(), "no invalid vector for {missing:?}");
}

#[test]
fn checksum_helper_matches_eip55() {
    // The example from EIP-55 itself, so the helper is not only checked
    // against the vectors it is used on.
    let address: [u8; 20] = hex::decode("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        checksummed(&address),
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    );
}

#[test]
fn loan_schedules() {
    use loanbridge_program::pool::schedule;
    const FILE: &str = "loan-schedules.json";
    let vectors = load(FILE);
    let mut failures = Vec::new();

    check_all(
        &mut failures,
        FILE,
        "schedules",
        list(&vectors, FILE, "schedules"),
        |vector, mismatches| {
            // Principals are u64 on Solana; the vectors stay within it.
            let principal: u64 = int(vector, "principal")?;
            let rate_bps: u32 = int(vector, "rateBps")?;
            let period: u64 = int(vector, "periodSeconds")?;
            let installments: u16 = int(vector, "installments")?;
            mismatches.eq(
                "periodRate",
                schedule::period_rate(rate_bps, period),
                Some(int(vector, "periodRate")?),
            );
            let want_payment: u128 = int(vector, "payment")?;
            let terms = schedule::Terms {
                principal: principal as u128,
                rate_bps,
                period_seconds: period,
                installments,
            };
            let Some(rows) = schedule::rows(&terms) else {
                mismatches.0.push("no schedule (payment overflowed)".into());
                return Ok(());
            };
            mismatches.eq("payment", rows.payment(), want_payment);
            let Some(want_rows) = vector.get("rows") else {
                return Ok(());
            };
            let want_rows = want_rows.as_array().ok_or("`rows` is not an array")?;
            let got: Vec<_> = rows.collect();
            mismatches.eq("rows", got.len(), want_rows.len());
            for (row, want) in got.iter().zip(want_rows) {
                let k = row.index;
                mismatches.eq(
                    &format!("row {k} interest"),
                    row.interest,
                    int(want, "interest")?,
                );
                mismatches.eq(
                    &format!("row {k} principal"),
                    row.principal,
                    int(want, "principal")?,
                );
            }
            Ok(())
        },
    );

    check_all(
        &mut failures,
        FILE,
        "dueTimes",
        list(&vectors, FILE, "dueTimes"),
        |vector, mismatches| {
            let start: u64 = int(vector, "startTime")?;
            let period: u64 = int(vector, "periodSeconds")?;
            let installments: u16 = int(vector, "installments")?;
            let width: u64 = int(vector, "dueBucketSeconds")?;
            let want = get(vector, "dueTimes")?
                .as_array()
                .ok_or("`dueTimes` is not an array")?;
            mismatches.eq("count", want.len(), installments as usize);
            for (index, due) in want.iter().enumerate() {
                let k = index as u16 + 1;
                let want: u64 = match due {
                    Value::String(text) => text.parse().map_err(|_| format!("due {k}: {text}"))?,
                    other => other.as_u64().ok_or(format!("due {k}: {other}"))?,
                };
                mismatches.eq(
                    &format!("due {k}"),
                    schedule::installment_due(start, k, period, width),
                    Some(want),
                );
            }
            Ok(())
        },
    );

    assert_no_failures(FILE, &failures);
}
