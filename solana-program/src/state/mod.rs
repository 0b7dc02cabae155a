//! Account layouts (interface): what the program stores, byte for byte.
//!
//! Every layout is `#[repr(C)]` with alignment 1 (integers are little-endian
//! byte arrays, [`U16`]…[`U128`]), so it has no padding and can be viewed in
//! place over any account data (zero-copy) and decoded field by field in
//! order (the IDL's `bytemuck` accounts, `repr(C, packed)`). Each starts with
//! the same three bytes: a discriminator naming the layout, a layout version,
//! and the bump of the account's program-derived address.
//!
//! [`load`] and [`load_mut`] check, on every load, that the program owns the
//! account, that its size is the layout's and that discriminator and version
//! match; callers then check the address against the seeds with the stored
//! bump ([`crate::pda::check`]).

pub mod endpoint;
pub mod pool;
pub mod vault;

use core::mem::size_of;

use pinocchio::account::{Ref, RefMut};
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address};

use crate::error::LoanbridgeError;

pub use endpoint::{
    DeliveredNonces, Endpoint, OutboundNonce, OutboundPacket, Peer, NONCES_PER_DELIVERED_ACCOUNT,
};
pub use pool::{
    view_pool_loan, view_pool_loan_mut, Beneficiary, CollateralConfig, DueBucket,
    InstallmentRecord, Pool, PoolLoan, Price, DUE_BUCKETS,
};
pub use vault::{AllowedAsset, Vault, VaultLoan};

/// The layout version every account is written with today.
pub const LAYOUT_VERSION: u8 = 1;

/// Account discriminators: the first byte of every account. Never reuse one.
pub mod discriminator {
    pub const ENDPOINT: u8 = 1;
    pub const PEER: u8 = 2;
    pub const OUTBOUND_NONCE: u8 = 3;
    pub const OUTBOUND_PACKET: u8 = 4;
    // 5 was the per-guid `Delivered` record, replaced by `DeliveredNonces`.
    pub const DELIVERED_NONCES: u8 = 6;
    pub const VAULT: u8 = 10;
    pub const VAULT_LOAN: u8 = 11;
    pub const ALLOWED_ASSET: u8 = 12;
    pub const POOL: u8 = 20;
    pub const POOL_LOAN: u8 = 21;
    pub const COLLATERAL_CONFIG: u8 = 22;
    pub const PRICE: u8 = 23;
    pub const BENEFICIARY: u8 = 24;
}

macro_rules! le_int {
    ($(#[$doc:meta])* $name:ident, $int:ty, $n:literal) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name([u8; $n]);

        impl $name {
            pub const fn new(value: $int) -> Self {
                Self(value.to_le_bytes())
            }
            pub const fn get(&self) -> $int {
                <$int>::from_le_bytes(self.0)
            }
            pub fn set(&mut self, value: $int) {
                self.0 = value.to_le_bytes();
            }
        }
    };
}

le_int!(
    /// A little-endian `u16` with alignment 1.
    U16, u16, 2
);
le_int!(
    /// A little-endian `u32` with alignment 1.
    U32, u32, 4
);
le_int!(
    /// A little-endian `u64` with alignment 1.
    U64, u64, 8
);
le_int!(
    /// A little-endian `i64` with alignment 1.
    I64, i64, 8
);
le_int!(
    /// A little-endian `u128` with alignment 1.
    U128, u128, 16
);

/// The three bytes every account starts with.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Which layout (see [`discriminator`]).
    pub discriminator: u8,
    /// The layout's version, [`LAYOUT_VERSION`].
    pub version: u8,
    /// Bump of the account's program-derived address.
    pub bump: u8,
}

impl Header {
    pub const fn new(discriminator: u8, bump: u8) -> Self {
        Header {
            discriminator,
            version: LAYOUT_VERSION,
            bump,
        }
    }
}

/// A stored account layout.
///
/// # Safety
///
/// Implementors must be `#[repr(C)]`, have alignment 1, start with a
/// [`Header`], and be valid for every bit pattern (only byte arrays, `u8`
/// and other such layouts), so any `LEN` bytes can be viewed as `Self`.
/// [`impl_layout!`] checks size and alignment at compile time.
pub unsafe trait Layout: Copy {
    /// The layout's discriminator.
    const DISCRIMINATOR: u8;
    /// Size in bytes, which is the account's data length.
    const LEN: usize = size_of::<Self>();

    /// The header.
    fn header(&self) -> &Header;

    /// The header, mutably.
    fn header_mut(&mut self) -> &mut Header;
}

macro_rules! impl_layout {
    ($ty:ty, $discriminator:expr, $len:expr) => {
        const _: () = assert!(core::mem::align_of::<$ty>() == 1);
        const _: () = assert!(core::mem::size_of::<$ty>() == $len);
        // SAFETY: `#[repr(C)]`, alignment 1 and the size are asserted above;
        // every field is a byte array, `u8` or an alignment-1 layout, and the
        // first field is the `Header`.
        unsafe impl $crate::state::Layout for $ty {
            const DISCRIMINATOR: u8 = $discriminator;
            fn header(&self) -> &$crate::state::Header {
                &self.header
            }
            fn header_mut(&mut self) -> &mut $crate::state::Header {
                &mut self.header
            }
        }
    };
}
pub(crate) use impl_layout;

/// Views `bytes` as a `T` after checking size, discriminator and version.
pub fn view<T: Layout>(bytes: &[u8]) -> Result<&T, LoanbridgeError> {
    if bytes.len() != T::LEN {
        return Err(LoanbridgeError::InvalidAccountData);
    }
    // SAFETY: `T` has alignment 1 and is valid for any bit pattern (the
    // `Layout` contract), and `bytes` holds exactly `T::LEN` bytes.
    let value = unsafe { &*(bytes.as_ptr() as *const T) };
    check_header::<T>(value.header())?;
    Ok(value)
}

pub(crate) fn check_header<T: Layout>(header: &Header) -> Result<(), LoanbridgeError> {
    if header.discriminator != T::DISCRIMINATOR || header.version != LAYOUT_VERSION {
        return Err(LoanbridgeError::InvalidAccountData);
    }
    Ok(())
}

/// Borrows an account as a `T`: the program owns it and its data is a `T`.
pub fn load<'a, T: Layout>(
    account: &'a AccountView,
    program_id: &Address,
) -> Result<Ref<'a, T>, ProgramError> {
    if !account.owned_by(program_id) {
        return Err(LoanbridgeError::InvalidAccountOwner.into());
    }
    let data = account.try_borrow()?;
    view::<T>(&data)?;
    // SAFETY: `view` checked the length; `T` has alignment 1 and accepts any
    // bit pattern.
    Ok(Ref::map(data, |bytes| unsafe {
        &*(bytes.as_ptr() as *const T)
    }))
}

/// Mutably borrows an account as a `T`, with [`load`]'s checks; the account
/// must be writable.
pub fn load_mut<'a, T: Layout>(
    account: &'a mut AccountView,
    program_id: &Address,
) -> Result<RefMut<'a, T>, ProgramError> {
    if !account.is_writable() {
        return Err(LoanbridgeError::AccountNotWritable.into());
    }
    if !account.owned_by(program_id) {
        return Err(LoanbridgeError::InvalidAccountOwner.into());
    }
    let data = account.try_borrow_mut()?;
    view::<T>(&data)?;
    // SAFETY: as in `load`; the borrow is exclusive.
    Ok(RefMut::map(data, |bytes| unsafe {
        &mut *(bytes.as_mut_ptr() as *mut T)
    }))
}

/// Writes `value` into a freshly created account of exactly `T::LEN` bytes.
pub fn init<T: Layout>(account: &mut AccountView, value: &T) -> ProgramResult {
    let mut data = account.try_borrow_mut()?;
    if data.len() != T::LEN {
        return Err(LoanbridgeError::InvalidAccountData.into());
    }
    // SAFETY: `T` is plain bytes of size `T::LEN` (the `Layout` contract), so
    // its bytes may be read as a `[u8]` of that length.
    let bytes = unsafe { core::slice::from_raw_parts(value as *const T as *const u8, T::LEN) };
    data.copy_from_slice(bytes);
    Ok(())
}

/// Starts a freshly created (zeroed) account of exactly `T::LEN` bytes as a
/// `T` with `header` and every other field zero, and borrows it to fill in
/// the rest in place: for layouts too large to build on the SBF stack
/// (4 KiB a frame), which [`init`] would copy from there.
pub fn init_in_place<'a, T: Layout>(
    account: &'a mut AccountView,
    header: Header,
) -> Result<RefMut<'a, T>, ProgramError> {
    let mut data = account.try_borrow_mut()?;
    if data.len() != T::LEN {
        return Err(LoanbridgeError::InvalidAccountData.into());
    }
    data[..size_of::<Header>()].copy_from_slice(&[
        header.discriminator,
        header.version,
        header.bump,
    ]);
    view::<T>(&data)?;
    // SAFETY: as in `load_mut`; the borrow is exclusive.
    Ok(RefMut::map(data, |bytes| unsafe {
        &mut *(bytes.as_mut_ptr() as *mut T)
    }))
}

use pinocchio::ProgramResult;

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn integers_are_little_endian() {
        assert_eq!(U32::new(0x0102_0304).0, [4, 3, 2, 1]);
        let mut value = U64::default();
        value.set(u64::MAX - 1);
        assert_eq!(value.get(), u64::MAX - 1);
        assert_eq!(U128::new(1).0[0], 1);
        assert_eq!(U16::new(0x0a0b).get(), 0x0a0b);
    }

    #[test]
    fn view_checks_length_discriminator_and_version() {
        let mut bytes = std::vec![0u8; Peer::LEN];
        bytes[0] = discriminator::PEER;
        bytes[1] = LAYOUT_VERSION;
        assert!(view::<Peer>(&bytes).is_ok());
        assert_eq!(
            view::<Peer>(&bytes[..Peer::LEN - 1]).err(),
            Some(LoanbridgeError::InvalidAccountData)
        );
        bytes[1] = 2;
        assert_eq!(
            view::<Peer>(&bytes).err(),
            Some(LoanbridgeError::InvalidAccountData)
        );
        bytes[1] = LAYOUT_VERSION;
        bytes[0] = discriminator::ENDPOINT;
        assert_eq!(
            view::<Peer>(&bytes).err(),
            Some(LoanbridgeError::InvalidAccountData)
        );
    }

    #[test]
    fn discriminators_are_distinct() {
        let all = [
            Endpoint::DISCRIMINATOR,
            Peer::DISCRIMINATOR,
            OutboundNonce::DISCRIMINATOR,
            OutboundPacket::DISCRIMINATOR,
            DeliveredNonces::DISCRIMINATOR,
            Vault::DISCRIMINATOR,
            VaultLoan::DISCRIMINATOR,
            AllowedAsset::DISCRIMINATOR,
            Pool::DISCRIMINATOR,
            PoolLoan::DISCRIMINATOR,
            CollateralConfig::DISCRIMINATOR,
            Price::DISCRIMINATOR,
            Beneficiary::DISCRIMINATOR,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_ne!(*a, 0, "zero is never a discriminator");
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
