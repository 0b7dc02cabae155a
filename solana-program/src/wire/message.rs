//! The six loan messages: a version byte, a type byte, then fixed-width
//! fields. Every type has one fixed length, so a message is exactly its
//! type's bytes, nothing optional and nothing after.

use super::{field, put, WireError};

/// The only message version this format knows.
pub const MESSAGE_VERSION: u8 = 2;

/// Length of the longest message (`OPEN_LOAN`), enough for any message.
pub const MAX_MESSAGE_LEN: usize = OpenLoan::LEN;

/// The message types, by their type byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageType {
    /// Collateral chain → lending chain: a borrower asks for a loan.
    OpenLoan = 1,
    /// Lending → collateral: the principal was disbursed.
    LoanActive = 2,
    /// Lending → collateral: no loan; the vault refunds the collateral.
    LoanRejected = 3,
    /// Lending → collateral: repaid; the vault releases to the borrower.
    Repaid = 4,
    /// Lending → collateral: defaulted; collateral to the beneficiary.
    Defaulted = 5,
    /// Lending → collateral: liquidated; collateral to the beneficiary.
    Liquidated = 6,
}

impl MessageType {
    /// Every type, in code order.
    pub const ALL: [MessageType; 6] = [
        MessageType::OpenLoan,
        MessageType::LoanActive,
        MessageType::LoanRejected,
        MessageType::Repaid,
        MessageType::Defaulted,
        MessageType::Liquidated,
    ];

    /// The type with this type byte, if any.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(MessageType::OpenLoan),
            2 => Some(MessageType::LoanActive),
            3 => Some(MessageType::LoanRejected),
            4 => Some(MessageType::Repaid),
            5 => Some(MessageType::Defaulted),
            6 => Some(MessageType::Liquidated),
            _ => None,
        }
    }

    /// The type byte.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The length of every message of this type, version and type included.
    pub const fn encoded_len(self) -> usize {
        match self {
            MessageType::OpenLoan => OpenLoan::LEN,
            MessageType::LoanActive => LoanActive::LEN,
            MessageType::LoanRejected => LoanRejected::LEN,
            MessageType::Repaid => Repaid::LEN,
            MessageType::Defaulted | MessageType::Liquidated => CollateralSeizure::LEN,
        }
    }

    /// The spec's name for the type (`OPEN_LOAN`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            MessageType::OpenLoan => "OPEN_LOAN",
            MessageType::LoanActive => "LOAN_ACTIVE",
            MessageType::LoanRejected => "LOAN_REJECTED",
            MessageType::Repaid => "REPAID",
            MessageType::Defaulted => "DEFAULTED",
            MessageType::Liquidated => "LIQUIDATED",
        }
    }
}

/// Why the lending chain turned a loan request down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RejectReason {
    /// The pool cannot lend the principal.
    InsufficientLiquidity = 1,
    /// The collateral is worth too little for the principal.
    LtvTooHigh = 2,
    /// The pool's rate is above the borrower's `maxRateBps`.
    RateAboveMax = 3,
    /// The pool does not accept this collateral asset.
    UnsupportedCollateral = 4,
    /// The request arrived after its `expiresAt`.
    Expired = 5,
    /// The pool is paused.
    Paused = 6,
    /// The request's terms are invalid (term, amounts, recipient...).
    InvalidTerms = 7,
}

impl RejectReason {
    /// Every reason, in code order.
    pub const ALL: [RejectReason; 7] = [
        RejectReason::InsufficientLiquidity,
        RejectReason::LtvTooHigh,
        RejectReason::RateAboveMax,
        RejectReason::UnsupportedCollateral,
        RejectReason::Expired,
        RejectReason::Paused,
        RejectReason::InvalidTerms,
    ];

    /// The reason with this code, if any.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(RejectReason::InsufficientLiquidity),
            2 => Some(RejectReason::LtvTooHigh),
            3 => Some(RejectReason::RateAboveMax),
            4 => Some(RejectReason::UnsupportedCollateral),
            5 => Some(RejectReason::Expired),
            6 => Some(RejectReason::Paused),
            7 => Some(RejectReason::InvalidTerms),
            _ => None,
        }
    }

    /// The reason's byte on the wire.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The spec's name for the reason (`InsufficientLiquidity`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            RejectReason::InsufficientLiquidity => "InsufficientLiquidity",
            RejectReason::LtvTooHigh => "LtvTooHigh",
            RejectReason::RateAboveMax => "RateAboveMax",
            RejectReason::UnsupportedCollateral => "UnsupportedCollateral",
            RejectReason::Expired => "Expired",
            RejectReason::Paused => "Paused",
            RejectReason::InvalidTerms => "InvalidTerms",
        }
    }
}

/// A message of `M` bytes with its version and type bytes written.
fn start<const M: usize>(message_type: MessageType) -> [u8; M] {
    let mut out = [0u8; M];
    out[0] = MESSAGE_VERSION;
    out[1] = message_type.code();
    out
}

/// `OPEN_LOAN` (collateral chain → lending chain), 184 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenLoan {
    /// Chosen by the collateral chain, unique per vault.
    pub loan_id: [u8; 32],
    /// Borrower on the collateral chain.
    pub borrower: [u8; 32],
    /// Who receives the principal on the lending chain.
    pub recipient: [u8; 32],
    /// ERC-20 address or SPL mint; all zero = native ETH/SOL.
    pub collateral_asset: [u8; 32],
    /// In the asset's base units.
    pub collateral_amount: u128,
    /// Requested, in the stablecoin's base units.
    pub principal: u128,
    /// Highest annual rate the borrower accepts, in basis points.
    pub max_rate_bps: u32,
    /// Loan term, in seconds.
    pub term_seconds: u64,
    /// The lending chain rejects the request after this unix time.
    pub expires_at: u64,
    /// Equal payments the loan is repaid in (shared/LOANS.md
    /// "Installments"); 1 = a bullet loan. Any value decodes: the vault and
    /// the pool refuse 0 and counts above the pool's maximum.
    pub installments: u16,
}

impl OpenLoan {
    /// Encoded length.
    pub const LEN: usize = 184;

    /// The message bytes.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = start(MessageType::OpenLoan);
        put::<2, 32, _>(&mut out, &self.loan_id);
        put::<34, 32, _>(&mut out, &self.borrower);
        put::<66, 32, _>(&mut out, &self.recipient);
        put::<98, 32, _>(&mut out, &self.collateral_asset);
        put::<130, 16, _>(&mut out, &self.collateral_amount.to_be_bytes());
        put::<146, 16, _>(&mut out, &self.principal.to_be_bytes());
        put::<162, 4, _>(&mut out, &self.max_rate_bps.to_be_bytes());
        put::<166, 8, _>(&mut out, &self.term_seconds.to_be_bytes());
        put::<174, 8, _>(&mut out, &self.expires_at.to_be_bytes());
        put::<182, 2, _>(&mut out, &self.installments.to_be_bytes());
        out
    }

    fn decode_fields(bytes: &[u8; Self::LEN]) -> Self {
        OpenLoan {
            loan_id: *field::<2, 32, _>(bytes),
            borrower: *field::<34, 32, _>(bytes),
            recipient: *field::<66, 32, _>(bytes),
            collateral_asset: *field::<98, 32, _>(bytes),
            collateral_amount: u128::from_be_bytes(*field::<130, 16, _>(bytes)),
            principal: u128::from_be_bytes(*field::<146, 16, _>(bytes)),
            max_rate_bps: u32::from_be_bytes(*field::<162, 4, _>(bytes)),
            term_seconds: u64::from_be_bytes(*field::<166, 8, _>(bytes)),
            expires_at: u64::from_be_bytes(*field::<174, 8, _>(bytes)),
            installments: u16::from_be_bytes(*field::<182, 2, _>(bytes)),
        }
    }
}

/// `LOAN_ACTIVE` (lending → collateral), 70 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanActive {
    /// The loan, as `OPEN_LOAN` named it.
    pub loan_id: [u8; 32],
    /// Principal disbursed.
    pub principal: u128,
    /// Annual rate charged, in basis points.
    pub rate_bps: u32,
    /// Unix time the loan started.
    pub start_time: u64,
    /// Unix time the loan is due.
    pub due_time: u64,
}

impl LoanActive {
    /// Encoded length.
    pub const LEN: usize = 70;

    /// The message bytes.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = start(MessageType::LoanActive);
        put::<2, 32, _>(&mut out, &self.loan_id);
        put::<34, 16, _>(&mut out, &self.principal.to_be_bytes());
        put::<50, 4, _>(&mut out, &self.rate_bps.to_be_bytes());
        put::<54, 8, _>(&mut out, &self.start_time.to_be_bytes());
        put::<62, 8, _>(&mut out, &self.due_time.to_be_bytes());
        out
    }

    fn decode_fields(bytes: &[u8; Self::LEN]) -> Self {
        LoanActive {
            loan_id: *field::<2, 32, _>(bytes),
            principal: u128::from_be_bytes(*field::<34, 16, _>(bytes)),
            rate_bps: u32::from_be_bytes(*field::<50, 4, _>(bytes)),
            start_time: u64::from_be_bytes(*field::<54, 8, _>(bytes)),
            due_time: u64::from_be_bytes(*field::<62, 8, _>(bytes)),
        }
    }
}

/// `LOAN_REJECTED` (lending → collateral; the vault refunds), 35 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanRejected {
    /// The loan, as `OPEN_LOAN` named it.
    pub loan_id: [u8; 32],
    /// Why it was rejected.
    pub reason: RejectReason,
}

impl LoanRejected {
    /// Encoded length.
    pub const LEN: usize = 35;

    /// The message bytes. Infallible: `reason` can only hold a known code.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = start(MessageType::LoanRejected);
        put::<2, 32, _>(&mut out, &self.loan_id);
        out[34] = self.reason.code();
        out
    }

    fn decode_fields(bytes: &[u8; Self::LEN]) -> Result<Self, WireError> {
        Ok(LoanRejected {
            loan_id: *field::<2, 32, _>(bytes),
            reason: RejectReason::from_code(bytes[34]).ok_or(WireError::UnknownRejectReason)?,
        })
    }
}

/// `REPAID` (lending → collateral; the vault releases to the borrower),
/// 50 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repaid {
    /// The loan, as `OPEN_LOAN` named it.
    pub loan_id: [u8; 32],
    /// Principal plus interest, over the loan's life.
    pub amount_repaid: u128,
}

impl Repaid {
    /// Encoded length.
    pub const LEN: usize = 50;

    /// The message bytes.
    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut out = start(MessageType::Repaid);
        put::<2, 32, _>(&mut out, &self.loan_id);
        put::<34, 16, _>(&mut out, &self.amount_repaid.to_be_bytes());
        out
    }

    fn decode_fields(bytes: &[u8; Self::LEN]) -> Self {
        Repaid {
            loan_id: *field::<2, 32, _>(bytes),
            amount_repaid: u128::from_be_bytes(*field::<34, 16, _>(bytes)),
        }
    }
}

/// The layout `DEFAULTED` and `LIQUIDATED` share (lending → collateral; the
/// collateral goes to the beneficiary), 82 bytes. Which of the two it is
/// lives in [`LoanMessage`]'s variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralSeizure {
    /// The loan, as `OPEN_LOAN` named it.
    pub loan_id: [u8; 32],
    /// Debt left unpaid.
    pub outstanding: u128,
    /// Receives the collateral on the collateral chain.
    pub beneficiary: [u8; 32],
}

impl CollateralSeizure {
    /// Encoded length.
    pub const LEN: usize = 82;

    /// The bytes of a `DEFAULTED` message.
    pub fn encode_defaulted(&self) -> [u8; Self::LEN] {
        self.encode_as(MessageType::Defaulted)
    }

    /// The bytes of a `LIQUIDATED` message.
    pub fn encode_liquidated(&self) -> [u8; Self::LEN] {
        self.encode_as(MessageType::Liquidated)
    }

    /// Private so only the two types sharing this layout can be written.
    fn encode_as(&self, message_type: MessageType) -> [u8; Self::LEN] {
        let mut out = start(message_type);
        put::<2, 32, _>(&mut out, &self.loan_id);
        put::<34, 16, _>(&mut out, &self.outstanding.to_be_bytes());
        put::<50, 32, _>(&mut out, &self.beneficiary);
        out
    }

    fn decode_fields(bytes: &[u8; Self::LEN]) -> Self {
        CollateralSeizure {
            loan_id: *field::<2, 32, _>(bytes),
            outstanding: u128::from_be_bytes(*field::<34, 16, _>(bytes)),
            beneficiary: *field::<50, 32, _>(bytes),
        }
    }
}

/// Any loan message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanMessage {
    /// `OPEN_LOAN` = 1.
    OpenLoan(OpenLoan),
    /// `LOAN_ACTIVE` = 2.
    LoanActive(LoanActive),
    /// `LOAN_REJECTED` = 3.
    LoanRejected(LoanRejected),
    /// `REPAID` = 4.
    Repaid(Repaid),
    /// `DEFAULTED` = 5.
    Defaulted(CollateralSeizure),
    /// `LIQUIDATED` = 6.
    Liquidated(CollateralSeizure),
}

/// Exactly `N` bytes, or the spec's length error.
fn exact<const N: usize>(bytes: &[u8]) -> Result<&[u8; N], WireError> {
    if bytes.len() > N {
        return Err(WireError::MessageTooLong);
    }
    bytes.first_chunk().ok_or(WireError::MessageTooShort)
}

impl LoanMessage {
    /// Decodes a message, checking in the spec's order: `MessageTooShort`
    /// (under 2 bytes), `UnsupportedMessageVersion`, `UnknownMessageType`,
    /// `MessageTooShort` / `MessageTooLong` (against the type's length),
    /// then `UnknownRejectReason`.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let [version, type_code, ..] = bytes else {
            return Err(WireError::MessageTooShort);
        };
        if *version != MESSAGE_VERSION {
            return Err(WireError::UnsupportedMessageVersion);
        }
        let message_type =
            MessageType::from_code(*type_code).ok_or(WireError::UnknownMessageType)?;
        Ok(match message_type {
            MessageType::OpenLoan => LoanMessage::OpenLoan(OpenLoan::decode_fields(exact(bytes)?)),
            MessageType::LoanActive => {
                LoanMessage::LoanActive(LoanActive::decode_fields(exact(bytes)?))
            }
            MessageType::LoanRejected => {
                LoanMessage::LoanRejected(LoanRejected::decode_fields(exact(bytes)?)?)
            }
            MessageType::Repaid => LoanMessage::Repaid(Repaid::decode_fields(exact(bytes)?)),
            MessageType::Defaulted => {
                LoanMessage::Defaulted(CollateralSeizure::decode_fields(exact(bytes)?))
            }
            MessageType::Liquidated => {
                LoanMessage::Liquidated(CollateralSeizure::decode_fields(exact(bytes)?))
            }
        })
    }

    /// The message's type.
    pub fn message_type(&self) -> MessageType {
        match self {
            LoanMessage::OpenLoan(_) => MessageType::OpenLoan,
            LoanMessage::LoanActive(_) => MessageType::LoanActive,
            LoanMessage::LoanRejected(_) => MessageType::LoanRejected,
            LoanMessage::Repaid(_) => MessageType::Repaid,
            LoanMessage::Defaulted(_) => MessageType::Defaulted,
            LoanMessage::Liquidated(_) => MessageType::Liquidated,
        }
    }

    /// The loan the message is about; every type carries one first.
    pub fn loan_id(&self) -> &[u8; 32] {
        match self {
            LoanMessage::OpenLoan(message) => &message.loan_id,
            LoanMessage::LoanActive(message) => &message.loan_id,
            LoanMessage::LoanRejected(message) => &message.loan_id,
            LoanMessage::Repaid(message) => &message.loan_id,
            LoanMessage::Defaulted(message) | LoanMessage::Liquidated(message) => &message.loan_id,
        }
    }

    /// The message bytes, in a buffer sized for the longest type.
    pub fn encode(&self) -> EncodedMessage {
        let mut encoded = EncodedMessage {
            bytes: [0u8; MAX_MESSAGE_LEN],
            len: self.message_type().encoded_len(),
        };
        let out = &mut encoded.bytes[..encoded.len];
        match self {
            LoanMessage::OpenLoan(message) => out.copy_from_slice(&message.encode()),
            LoanMessage::LoanActive(message) => out.copy_from_slice(&message.encode()),
            LoanMessage::LoanRejected(message) => out.copy_from_slice(&message.encode()),
            LoanMessage::Repaid(message) => out.copy_from_slice(&message.encode()),
            LoanMessage::Defaulted(message) => out.copy_from_slice(&message.encode_defaulted()),
            LoanMessage::Liquidated(message) => out.copy_from_slice(&message.encode_liquidated()),
        }
        encoded
    }
}

/// An encoded message of any type, held without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodedMessage {
    bytes: [u8; MAX_MESSAGE_LEN],
    len: usize,
}

impl EncodedMessage {
    /// The message bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_loan() -> OpenLoan {
        OpenLoan {
            loan_id: [0x01; 32],
            borrower: [0x02; 32],
            recipient: [0x03; 32],
            collateral_asset: [0u8; 32],
            collateral_amount: u128::MAX - 1,
            principal: 1_000_000_000,
            max_rate_bps: 1_250,
            term_seconds: 30 * 86_400,
            expires_at: 1_800_000_000,
            installments: 12,
        }
    }

    fn seizure() -> CollateralSeizure {
        CollateralSeizure {
            loan_id: [0x07; 32],
            outstanding: 123,
            beneficiary: [0x08; 32],
        }
    }

    fn one_of_each() -> [LoanMessage; 6] {
        [
            LoanMessage::OpenLoan(open_loan()),
            LoanMessage::LoanActive(LoanActive {
                loan_id: [0x04; 32],
                principal: 1 << 64,
                rate_bps: 900,
                start_time: 1_700_000_000,
                due_time: 1_702_592_000,
            }),
            LoanMessage::LoanRejected(LoanRejected {
                loan_id: [0x05; 32],
                reason: RejectReason::Paused,
            }),
            LoanMessage::Repaid(Repaid {
                loan_id: [0x06; 32],
                amount_repaid: 1_010_000_000,
            }),
            LoanMessage::Defaulted(seizure()),
            LoanMessage::Liquidated(seizure()),
        ]
    }

    #[test]
    fn lengths_are_the_spec_lengths() {
        let lengths = MessageType::ALL.map(MessageType::encoded_len);
        assert_eq!(lengths, [184, 70, 35, 50, 82, 82]);
        assert_eq!(MAX_MESSAGE_LEN, 184);
    }

    #[test]
    fn codes_round_trip() {
        for (index, message_type) in MessageType::ALL.into_iter().enumerate() {
            assert_eq!(message_type.code() as usize, index + 1);
            assert_eq!(
                MessageType::from_code(message_type.code()),
                Some(message_type)
            );
        }
        for (index, reason) in RejectReason::ALL.into_iter().enumerate() {
            assert_eq!(reason.code() as usize, index + 1);
            assert_eq!(RejectReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(MessageType::from_code(0), None);
        assert_eq!(MessageType::from_code(7), None);
        assert_eq!(RejectReason::from_code(0), None);
        assert_eq!(RejectReason::from_code(8), None);
    }

    #[test]
    fn open_loan_layout() {
        let bytes = open_loan().encode();
        assert_eq!(&bytes[..2], &[MESSAGE_VERSION, 1]);
        assert_eq!(&bytes[2..34], &[0x01; 32]);
        assert_eq!(&bytes[34..66], &[0x02; 32]);
        assert_eq!(&bytes[66..98], &[0x03; 32]);
        assert_eq!(&bytes[98..130], &[0u8; 32]);
        assert_eq!(&bytes[130..146], &(u128::MAX - 1).to_be_bytes());
        assert_eq!(&bytes[146..162], &1_000_000_000u128.to_be_bytes());
        assert_eq!(&bytes[162..166], &1_250u32.to_be_bytes());
        assert_eq!(&bytes[166..174], &(30u64 * 86_400).to_be_bytes());
        assert_eq!(&bytes[174..182], &1_800_000_000u64.to_be_bytes());
        assert_eq!(&bytes[182..184], &12u16.to_be_bytes());
    }

    #[test]
    fn defaulted_and_liquidated_differ_only_in_type() {
        let defaulted = seizure().encode_defaulted();
        let liquidated = seizure().encode_liquidated();
        assert_eq!((defaulted[1], liquidated[1]), (5, 6));
        assert_eq!(defaulted[2..], liquidated[2..]);
    }

    #[test]
    fn every_message_round_trips() {
        for message in one_of_each() {
            let encoded = message.encode();
            assert_eq!(
                encoded.as_bytes().len(),
                message.message_type().encoded_len()
            );
            assert_eq!(
                encoded.as_bytes()[..2],
                [MESSAGE_VERSION, message.message_type().code()]
            );
            assert_eq!(LoanMessage::decode(encoded.as_bytes()), Ok(message));
        }
    }

    #[test]
    fn too_short_for_the_header() {
        assert_eq!(LoanMessage::decode(&[]), Err(WireError::MessageTooShort));
        assert_eq!(LoanMessage::decode(&[1]), Err(WireError::MessageTooShort));
        // Under two bytes nothing else is looked at, even a bad version.
        assert_eq!(LoanMessage::decode(&[9]), Err(WireError::MessageTooShort));
    }

    #[test]
    fn version_then_type_then_length() {
        assert_eq!(
            LoanMessage::decode(&[1, 1]),
            Err(WireError::UnsupportedMessageVersion)
        );
        assert_eq!(
            LoanMessage::decode(&[3, 99]),
            Err(WireError::UnsupportedMessageVersion)
        );
        for type_code in [0, 7, 0xff] {
            assert_eq!(
                LoanMessage::decode(&[MESSAGE_VERSION, type_code]),
                Err(WireError::UnknownMessageType)
            );
        }
        assert_eq!(
            LoanMessage::decode(&[MESSAGE_VERSION, 1]),
            Err(WireError::MessageTooShort)
        );
    }

    #[test]
    fn every_wrong_length_is_rejected() {
        let mut buffer = [0u8; MAX_MESSAGE_LEN + 1];
        for message in one_of_each() {
            let encoded = message.encode();
            let len = encoded.as_bytes().len();
            buffer[..len].copy_from_slice(encoded.as_bytes());
            for short in 2..len {
                assert_eq!(
                    LoanMessage::decode(&buffer[..short]),
                    Err(WireError::MessageTooShort)
                );
            }
            buffer[len] = 0;
            assert_eq!(
                LoanMessage::decode(&buffer[..len + 1]),
                Err(WireError::MessageTooLong)
            );
        }
    }

    #[test]
    fn unknown_reject_reason() {
        let mut bytes = LoanRejected {
            loan_id: [0; 32],
            reason: RejectReason::Expired,
        }
        .encode();
        for reason in [0, 8, 0xff] {
            bytes[34] = reason;
            assert_eq!(
                LoanMessage::decode(&bytes),
                Err(WireError::UnknownRejectReason)
            );
        }
    }

    #[test]
    fn length_is_checked_before_reason() {
        let bytes = [MESSAGE_VERSION, 3, 0, 0];
        assert_eq!(LoanMessage::decode(&bytes), Err(WireError::MessageTooShort));
    }

    #[test]
    fn loan_id_of_every_type() {
        for message in one_of_each() {
            assert_eq!(message.loan_id(), &message.encode().as_bytes()[2..34]);
        }
    }
}
