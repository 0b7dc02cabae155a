//! Instructions (interface): the first byte of the instruction data selects
//! one, the rest are its arguments, Borsh-encoded as `crate::idl` (and the
//! IDL generated from it) declares them: integers little-endian, `pubkey`
//! and `[u8; 32]` as 32 raw bytes, `bool` as one byte 0/1, `vec<pubkey>` and
//! `bytes` as a `u32` little-endian length then the items. Nothing may
//! follow the last argument.
//!
//! The accounts each instruction takes are documented on its processor
//! (`crate::processor::<instruction>`), by position.

use crate::error::LoanbridgeError;

/// Instruction discriminators. They are part of the interface: never reuse one.
pub mod discriminator {
    pub const VERSION: u8 = 0;
    pub const INITIALIZE_ENDPOINT: u8 = 1;
    pub const SET_VERIFIER_SET: u8 = 2;
    pub const SET_PEER: u8 = 3;
    pub const SET_GUARDIAN: u8 = 4;
    pub const PAUSE: u8 = 5;
    pub const UNPAUSE: u8 = 6;
    pub const TRANSFER_ADMIN: u8 = 7;
    pub const ACCEPT_ADMIN: u8 = 8;
    pub const DELIVER: u8 = 9;
    pub const CLOSE_PACKET: u8 = 10;
    pub const INITIALIZE_VAULT: u8 = 20;
    pub const SET_REQUEST_TTL: u8 = 21;
    pub const SET_ASSET_ALLOWED: u8 = 22;
    pub const OPEN_NATIVE: u8 = 23;
    pub const OPEN_TOKEN: u8 = 24;
    // 25 was `RefundExpired`, the retired timeout refund: never reuse.
    pub const INITIALIZE_POOL: u8 = 40;
    pub const SET_LOAN_TERMS: u8 = 41;
    pub const SET_COLLATERAL: u8 = 42;
    pub const SET_BENEFICIARY: u8 = 43;
    pub const SET_PRICE: u8 = 44;
    pub const SET_MAX_PRICE_AGE: u8 = 45;
    pub const PAUSE_POOL: u8 = 46;
    pub const UNPAUSE_POOL: u8 = 47;
    pub const DEPOSIT: u8 = 48;
    pub const REDEEM: u8 = 49;
    pub const WITHDRAW: u8 = 50;
    pub const REPAY: u8 = 51;
    pub const DECLARE_DEFAULT: u8 = 52;
    pub const LIQUIDATE: u8 = 53;
    pub const CANCEL_EXPIRED: u8 = 54;
    pub const SET_INSTALLMENT_TERMS: u8 = 55;
}

/// `InitializeEndpoint` arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitializeEndpointArgs<'a> {
    pub local_eid: u32,
    pub guardian: [u8; 32],
    pub threshold: u8,
    pub verifiers: &'a [[u8; 32]],
}

/// `OpenNative` / `OpenToken` arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenArgs {
    pub collateral_amount: u64,
    pub principal: u128,
    pub max_rate_bps: u32,
    pub term_seconds: u64,
    pub recipient: [u8; 32],
    /// The request's deadline, in `(now, now + request_ttl]`: part of the
    /// loan id, so the borrower's client fixes it to derive the loan's
    /// account (the clock at execution is not known in advance).
    pub expires_at: u64,
    /// Equal payments the loan is repaid in (1 = bullet); 0 is refused.
    pub installments: u16,
}

/// `CancelExpired` arguments: what the loan id is computed from, with the
/// pool's peer vault on `src_eid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelExpiredArgs {
    pub src_eid: u32,
    pub borrower: [u8; 32],
    pub vault_nonce: u64,
    pub expires_at: u64,
}

/// `InitializePool` / `SetLoanTerms` arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoanTermsArgs {
    pub rate_bps: u32,
    pub min_term_seconds: u64,
    pub max_term_seconds: u64,
    pub grace_period_seconds: u64,
}

/// `SetInstallmentTerms` arguments (shared/LOANS.md "Installments").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstallmentTermsArgs {
    /// In `[1, MAX_INSTALLMENTS]`; 1 allows bullet loans only.
    pub max_installments: u16,
    /// Allowed installment periods in seconds, 0 = unused slot; each at
    /// most the pool's `max_term_seconds`.
    pub periods: [u64; 4],
}

/// `SetCollateral` arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetCollateralArgs {
    pub remote_eid: u32,
    pub asset: [u8; 32],
    pub max_ltv_bps: u16,
    pub liquidation_ltv_bps: u16,
    pub price_id: [u8; 32],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanbridgeInstruction<'a> {
    /// Logs the program version and sets it as return data.
    Version,
    InitializeEndpoint(InitializeEndpointArgs<'a>),
    SetVerifierSet {
        threshold: u8,
        verifiers: &'a [[u8; 32]],
    },
    SetPeer {
        app: [u8; 32],
        remote_eid: u32,
        remote_app: [u8; 32],
    },
    SetGuardian {
        guardian: [u8; 32],
    },
    Pause,
    Unpause,
    TransferAdmin {
        new_admin: [u8; 32],
    },
    AcceptAdmin,
    /// Delivers an attested packet (the packet as Borsh `bytes`).
    Deliver {
        packet: &'a [u8],
    },
    /// Closes an old outbound packet account of a final loan, rent to its payer.
    ClosePacket,
    InitializeVault {
        lending_eid: u32,
        request_ttl: u64,
    },
    SetRequestTtl {
        request_ttl: u64,
    },
    SetAssetAllowed {
        allowed: bool,
    },
    OpenNative(OpenArgs),
    OpenToken(OpenArgs),
    InitializePool {
        terms: LoanTermsArgs,
        max_price_age: u64,
        /// The due-bucket width W (seconds), fixed for the pool's life.
        due_bucket_seconds: u64,
    },
    SetLoanTerms(LoanTermsArgs),
    SetCollateral(SetCollateralArgs),
    SetBeneficiary {
        remote_eid: u32,
        beneficiary: [u8; 32],
    },
    /// Sets a price, timestamped now (zero price: missing).
    SetPrice {
        price_id: [u8; 32],
        price: u128,
    },
    SetMaxPriceAge {
        max_price_age: u64,
    },
    PausePool,
    UnpausePool,
    Deposit {
        assets: u64,
    },
    Redeem {
        shares: u64,
    },
    Withdraw {
        assets: u64,
    },
    Repay {
        amount: u64,
    },
    DeclareDefault,
    Liquidate,
    /// Cancels an unknown loan id after its deadline: records it `Rejected`
    /// and answers `LOAN_REJECTED(Expired)`.
    CancelExpired(CancelExpiredArgs),
    /// Sets the most installments a loan may have and the allowed periods.
    SetInstallmentTerms(InstallmentTermsArgs),
}

/// Reads Borsh values off the front of the instruction data.
struct Reader<'a> {
    data: &'a [u8],
}

type DecodeResult<T> = Result<T, LoanbridgeError>;

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> DecodeResult<&'a [u8; N]> {
        let (head, rest) = self
            .data
            .split_first_chunk::<N>()
            .ok_or(LoanbridgeError::InvalidInstructionData)?;
        self.data = rest;
        Ok(head)
    }

    fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.take::<1>()?[0])
    }

    fn bool(&mut self) -> DecodeResult<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(LoanbridgeError::InvalidInstructionData),
        }
    }

    fn u16(&mut self) -> DecodeResult<u16> {
        Ok(u16::from_le_bytes(*self.take()?))
    }

    fn u32(&mut self) -> DecodeResult<u32> {
        Ok(u32::from_le_bytes(*self.take()?))
    }

    fn u64(&mut self) -> DecodeResult<u64> {
        Ok(u64::from_le_bytes(*self.take()?))
    }

    fn u128(&mut self) -> DecodeResult<u128> {
        Ok(u128::from_le_bytes(*self.take()?))
    }

    fn bytes32(&mut self) -> DecodeResult<[u8; 32]> {
        Ok(*self.take()?)
    }

    /// Borsh `bytes`: a `u32` length, then that many bytes.
    fn bytes(&mut self) -> DecodeResult<&'a [u8]> {
        let len = self.u32()? as usize;
        if len > self.data.len() {
            return Err(LoanbridgeError::InvalidInstructionData);
        }
        let (bytes, rest) = self.data.split_at(len);
        self.data = rest;
        Ok(bytes)
    }

    /// Borsh `vec<pubkey>`: a `u32` count, then 32 bytes each.
    fn pubkeys(&mut self) -> DecodeResult<&'a [[u8; 32]]> {
        let count = self.u32()? as usize;
        let len = count
            .checked_mul(32)
            .filter(|len| *len <= self.data.len())
            .ok_or(LoanbridgeError::InvalidInstructionData)?;
        let (bytes, rest) = self.data.split_at(len);
        self.data = rest;
        let (keys, remainder) = bytes.as_chunks::<32>();
        debug_assert!(remainder.is_empty());
        Ok(keys)
    }

    fn open(&mut self) -> DecodeResult<OpenArgs> {
        Ok(OpenArgs {
            collateral_amount: self.u64()?,
            principal: self.u128()?,
            max_rate_bps: self.u32()?,
            term_seconds: self.u64()?,
            recipient: self.bytes32()?,
            expires_at: self.u64()?,
            installments: self.u16()?,
        })
    }

    fn terms(&mut self) -> DecodeResult<LoanTermsArgs> {
        Ok(LoanTermsArgs {
            rate_bps: self.u32()?,
            min_term_seconds: self.u64()?,
            max_term_seconds: self.u64()?,
            grace_period_seconds: self.u64()?,
        })
    }

    /// Ends decoding: trailing bytes are an error.
    fn finish<T>(self, value: T) -> DecodeResult<T> {
        if !self.data.is_empty() {
            return Err(LoanbridgeError::InvalidInstructionData);
        }
        Ok(value)
    }
}

impl<'a> LoanbridgeInstruction<'a> {
    /// Decodes instruction data, rejecting unknown discriminators
    /// (`UnknownInstruction`), short or malformed arguments and trailing
    /// bytes (`InvalidInstructionData`). Never panics.
    pub fn unpack(data: &'a [u8]) -> Result<Self, LoanbridgeError> {
        use discriminator as d;
        let (&discriminator, rest) = data
            .split_first()
            .ok_or(LoanbridgeError::UnknownInstruction)?;
        let mut r = Reader { data: rest };
        let instruction = match discriminator {
            d::VERSION => Self::Version,
            d::INITIALIZE_ENDPOINT => Self::InitializeEndpoint(InitializeEndpointArgs {
                local_eid: r.u32()?,
                guardian: r.bytes32()?,
                threshold: r.u8()?,
                verifiers: r.pubkeys()?,
            }),
            d::SET_VERIFIER_SET => Self::SetVerifierSet {
                threshold: r.u8()?,
                verifiers: r.pubkeys()?,
            },
            d::SET_PEER => Self::SetPeer {
                app: r.bytes32()?,
                remote_eid: r.u32()?,
                remote_app: r.bytes32()?,
            },
            d::SET_GUARDIAN => Self::SetGuardian {
                guardian: r.bytes32()?,
            },
            d::PAUSE => Self::Pause,
            d::UNPAUSE => Self::Unpause,
            d::TRANSFER_ADMIN => Self::TransferAdmin {
                new_admin: r.bytes32()?,
            },
            d::ACCEPT_ADMIN => Self::AcceptAdmin,
            d::DELIVER => Self::Deliver { packet: r.bytes()? },
            d::CLOSE_PACKET => Self::ClosePacket,
            d::INITIALIZE_VAULT => Self::InitializeVault {
                lending_eid: r.u32()?,
                request_ttl: r.u64()?,
            },
            d::SET_REQUEST_TTL => Self::SetRequestTtl {
                request_ttl: r.u64()?,
            },
            d::SET_ASSET_ALLOWED => Self::SetAssetAllowed { allowed: r.bool()? },
            d::OPEN_NATIVE => Self::OpenNative(r.open()?),
            d::OPEN_TOKEN => Self::OpenToken(r.open()?),
            d::INITIALIZE_POOL => Self::InitializePool {
                terms: r.terms()?,
                max_price_age: r.u64()?,
                due_bucket_seconds: r.u64()?,
            },
            d::SET_LOAN_TERMS => Self::SetLoanTerms(r.terms()?),
            d::SET_COLLATERAL => Self::SetCollateral(SetCollateralArgs {
                remote_eid: r.u32()?,
                asset: r.bytes32()?,
                max_ltv_bps: r.u16()?,
                liquidation_ltv_bps: r.u16()?,
                price_id: r.bytes32()?,
            }),
            d::SET_BENEFICIARY => Self::SetBeneficiary {
                remote_eid: r.u32()?,
                beneficiary: r.bytes32()?,
            },
            d::SET_PRICE => Self::SetPrice {
                price_id: r.bytes32()?,
                price: r.u128()?,
            },
            d::SET_MAX_PRICE_AGE => Self::SetMaxPriceAge {
                max_price_age: r.u64()?,
            },
            d::PAUSE_POOL => Self::PausePool,
            d::UNPAUSE_POOL => Self::UnpausePool,
            d::DEPOSIT => Self::Deposit { assets: r.u64()? },
            d::REDEEM => Self::Redeem { shares: r.u64()? },
            d::WITHDRAW => Self::Withdraw { assets: r.u64()? },
            d::REPAY => Self::Repay { amount: r.u64()? },
            d::DECLARE_DEFAULT => Self::DeclareDefault,
            d::LIQUIDATE => Self::Liquidate,
            d::CANCEL_EXPIRED => Self::CancelExpired(CancelExpiredArgs {
                src_eid: r.u32()?,
                borrower: r.bytes32()?,
                vault_nonce: r.u64()?,
                expires_at: r.u64()?,
            }),
            d::SET_INSTALLMENT_TERMS => Self::SetInstallmentTerms(InstallmentTermsArgs {
                max_installments: r.u16()?,
                periods: [r.u64()?, r.u64()?, r.u64()?, r.u64()?],
            }),
            _ => return Err(LoanbridgeError::UnknownInstruction),
        };
        r.finish(instruction)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn unpack_decodes_version() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[0]),
            Ok(LoanbridgeInstruction::Version)
        );
    }

    #[test]
    fn unpack_rejects_empty_data() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[]),
            Err(LoanbridgeError::UnknownInstruction)
        );
    }

    #[test]
    fn unpack_rejects_unknown_discriminators() {
        let known: Vec<u8> = (0..=u8::MAX)
            .filter(|d| {
                !matches!(
                    LoanbridgeInstruction::unpack(&[*d]),
                    Err(LoanbridgeError::UnknownInstruction)
                )
            })
            .collect();
        assert_eq!(
            known,
            [
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 21, 22, 23, 24, 40, 41, 42, 43, 44, 45, 46,
                47, 48, 49, 50, 51, 52, 53, 54, 55
            ]
        );
    }

    #[test]
    fn unpack_rejects_trailing_bytes() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[0, 0]),
            Err(LoanbridgeError::InvalidInstructionData)
        );
        assert_eq!(
            LoanbridgeInstruction::unpack(&[discriminator::PAUSE, 1]),
            Err(LoanbridgeError::InvalidInstructionData)
        );
    }

    #[test]
    fn unpack_decodes_initialize_endpoint() {
        let mut data = Vec::from([discriminator::INITIALIZE_ENDPOINT]);
        data.extend_from_slice(&40168u32.to_le_bytes());
        data.extend_from_slice(&[7; 32]);
        data.push(2);
        data.extend_from_slice(&2u32.to_le_bytes());
        data.extend_from_slice(&[1; 32]);
        data.extend_from_slice(&[2; 32]);
        assert_eq!(
            LoanbridgeInstruction::unpack(&data),
            Ok(LoanbridgeInstruction::InitializeEndpoint(
                InitializeEndpointArgs {
                    local_eid: 40168,
                    guardian: [7; 32],
                    threshold: 2,
                    verifiers: &[[1; 32], [2; 32]],
                }
            ))
        );
        // A count that promises more keys than follow.
        let short = &data[..data.len() - 1];
        assert_eq!(
            LoanbridgeInstruction::unpack(short),
            Err(LoanbridgeError::InvalidInstructionData)
        );
    }

    #[test]
    fn unpack_decodes_deliver_bytes() {
        let mut data = Vec::from([discriminator::DELIVER]);
        data.extend_from_slice(&3u32.to_le_bytes());
        data.extend_from_slice(&[9, 8, 7]);
        assert_eq!(
            LoanbridgeInstruction::unpack(&data),
            Ok(LoanbridgeInstruction::Deliver { packet: &[9, 8, 7] })
        );
        data.push(0);
        assert_eq!(
            LoanbridgeInstruction::unpack(&data),
            Err(LoanbridgeError::InvalidInstructionData)
        );
        // A length past the end of the data.
        let mut huge = Vec::from([discriminator::DELIVER]);
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            LoanbridgeInstruction::unpack(&huge),
            Err(LoanbridgeError::InvalidInstructionData)
        );
    }

    #[test]
    fn unpack_rejects_a_bool_other_than_zero_or_one() {
        assert_eq!(
            LoanbridgeInstruction::unpack(&[discriminator::SET_ASSET_ALLOWED, 1]),
            Ok(LoanbridgeInstruction::SetAssetAllowed { allowed: true })
        );
        assert_eq!(
            LoanbridgeInstruction::unpack(&[discriminator::SET_ASSET_ALLOWED, 2]),
            Err(LoanbridgeError::InvalidInstructionData)
        );
    }

    #[test]
    fn unpack_decodes_open_arguments_in_order() {
        let mut data = Vec::from([discriminator::OPEN_NATIVE]);
        data.extend_from_slice(&5u64.to_le_bytes());
        data.extend_from_slice(&6u128.to_le_bytes());
        data.extend_from_slice(&7u32.to_le_bytes());
        data.extend_from_slice(&8u64.to_le_bytes());
        data.extend_from_slice(&[9; 32]);
        data.extend_from_slice(&10u64.to_le_bytes());
        data.extend_from_slice(&11u16.to_le_bytes());
        assert_eq!(
            LoanbridgeInstruction::unpack(&data),
            Ok(LoanbridgeInstruction::OpenNative(OpenArgs {
                collateral_amount: 5,
                principal: 6,
                max_rate_bps: 7,
                term_seconds: 8,
                recipient: [9; 32],
                expires_at: 10,
                installments: 11,
            }))
        );
        // Every strict prefix is too short.
        for len in 1..data.len() {
            assert_eq!(
                LoanbridgeInstruction::unpack(&data[..len]),
                Err(LoanbridgeError::InvalidInstructionData),
                "prefix of {len} bytes"
            );
        }
    }

    /// A small deterministic generator, so the fuzz cases are reproducible.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn fuzz_unpack_never_panics() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200_000 {
            let len = (rng.next() % 300) as usize;
            let mut data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Half the cases start with a known discriminator, so decoding
            // goes past the first byte.
            if let Some(first) = data.first_mut() {
                if rng.next().is_multiple_of(2) {
                    *first = (rng.next() % 56) as u8;
                }
            }
            // Small lengths in Borsh prefixes reach the vec/bytes paths.
            if data.len() > 5 && rng.next().is_multiple_of(4) {
                data[1..5].copy_from_slice(&((rng.next() % 8) as u32).to_le_bytes());
            }
            let _ = LoanbridgeInstruction::unpack(&data);
        }
    }
}
