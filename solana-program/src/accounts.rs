//! Account checks and the few cross-program calls the program makes
//! (system program: create accounts, move lamports; SPL Token: transfer,
//! mint, burn, initialize).

use pinocchio::cpi::{Seed, Signer};
use pinocchio::error::ProgramError;
use pinocchio::sysvars::{get_sysvar, rent::RENT_ID};
use pinocchio::{AccountView, Address, ProgramResult};

use crate::error::LoanbridgeError;
use crate::math::checked_mul;

/// The system program, `11111111111111111111111111111111`.
pub const SYSTEM_PROGRAM_ID: Address = Address::new_from_array([0; 32]);
/// The SPL Token program, `TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA`. Only
/// this one: Token-2022 mints (transfer hooks, fees) are not supported.
pub const TOKEN_PROGRAM_ID: Address = pinocchio_token::ID;

pub fn require_signer(account: &AccountView) -> ProgramResult {
    if !account.is_signer() {
        return Err(LoanbridgeError::MissingSignature.into());
    }
    Ok(())
}

pub fn require_writable(account: &AccountView) -> ProgramResult {
    if !account.is_writable() {
        return Err(LoanbridgeError::AccountNotWritable.into());
    }
    Ok(())
}

/// A signer that pays: signer and writable.
pub fn require_payer(account: &AccountView) -> ProgramResult {
    require_signer(account)?;
    require_writable(account)
}

pub fn require_system_program(account: &AccountView) -> ProgramResult {
    if account.address() != &SYSTEM_PROGRAM_ID {
        return Err(LoanbridgeError::InvalidProgramAccount.into());
    }
    Ok(())
}

pub fn require_token_program(account: &AccountView) -> ProgramResult {
    if account.address() != &TOKEN_PROGRAM_ID {
        return Err(LoanbridgeError::InvalidProgramAccount.into());
    }
    Ok(())
}

/// Whether an account has never been created: owned by the system program
/// with no data (it may hold lamports someone sent to its address).
pub fn is_uninitialized(account: &AccountView) -> bool {
    account.owned_by(&SYSTEM_PROGRAM_ID) && account.is_data_empty()
}

/// Lamports that make `data_len` bytes rent-exempt.
///
/// Reads the rent sysvar's first 16 bytes (`lamports_per_byte_year`,
/// `exemption_threshold`) with `sol_get_sysvar`. The threshold is an `f64`,
/// and the program has no floating point: the two values clusters use (2.0
/// before SIMD-0194, 1.0 after) are recognised by their bits, anything else
/// is refused.
pub fn minimum_balance(data_len: usize) -> Result<u64, ProgramError> {
    const ONE: u64 = 0x3ff0_0000_0000_0000; // 1.0f64
    const TWO: u64 = 0x4000_0000_0000_0000; // 2.0f64
    const ACCOUNT_STORAGE_OVERHEAD: u64 = 128;
    let mut rent = [0u8; 16];
    get_sysvar(&mut rent, &RENT_ID, 0)?;
    let (per_byte_year, threshold) = rent.split_at(8);
    let per_byte_year = u64::from_le_bytes(per_byte_year.try_into().unwrap_or_default());
    let multiplier = match u64::from_le_bytes(threshold.try_into().unwrap_or_default()) {
        ONE => 1,
        TWO => 2,
        _ => return Err(ProgramError::UnsupportedSysvar),
    };
    (data_len as u64)
        .checked_add(ACCOUNT_STORAGE_OVERHEAD)
        .and_then(|bytes| checked_mul(bytes, per_byte_year))
        .and_then(|lamports| checked_mul(lamports, multiplier))
        .ok_or_else(|| LoanbridgeError::ArithmeticOverflow.into())
}

/// An account to create at a program-derived address (see [`create_pda`]).
pub struct NewAccount<'a> {
    /// Pays the rent.
    pub payer: &'a AccountView,
    /// The account, at the address `seeds` derive (checked by the caller).
    pub account: &'a AccountView,
    /// Data length.
    pub space: usize,
    /// The program that will own it.
    pub owner: &'a Address,
    /// The address's seeds, bump last: the program signs for it with them.
    pub seeds: &'a [Seed<'a>],
}

/// Creates an account at a program-derived address, rent-exempt, with its
/// data zeroed.
///
/// The caller has checked the address. Lamports already at the address
/// (anyone can send lamports to an address they can compute) do not block
/// creation: the account is then topped up, allocated and assigned instead
/// of `CreateAccount`, which would fail — otherwise a 1-lamport transfer to a
/// future delivered-nonces or loan address would block it forever.
pub fn create_pda(new: &NewAccount) -> ProgramResult {
    let NewAccount {
        payer,
        account,
        space,
        owner,
        seeds,
    } = *new;
    if !is_uninitialized(account) {
        return Err(LoanbridgeError::AccountAlreadyInitialized.into());
    }
    let rent = minimum_balance(space)?;
    let held = account.lamports();
    let signers = [Signer::from(seeds)];
    if held == 0 {
        return pinocchio_system::instructions::CreateAccount {
            from: payer,
            to: account,
            lamports: rent,
            space: space as u64,
            owner,
        }
        .invoke_signed(&signers);
    }
    if held < rent {
        pinocchio_system::instructions::Transfer {
            from: payer,
            to: account,
            lamports: rent - held,
        }
        .invoke()?;
    }
    pinocchio_system::instructions::Allocate {
        account,
        space: space as u64,
    }
    .invoke_signed(&signers)?;
    pinocchio_system::instructions::Assign { account, owner }.invoke_signed(&signers)
}

/// Moves `lamports` from a program-owned account to any writable account,
/// keeping `from` rent-exempt for `from_data_len` bytes.
pub fn move_lamports(
    from: &mut AccountView,
    to: &mut AccountView,
    lamports: u64,
    from_data_len: usize,
) -> ProgramResult {
    require_writable(to)?;
    let floor = minimum_balance(from_data_len)?;
    let from_after = from
        .lamports()
        .checked_sub(lamports)
        .filter(|left| *left >= floor)
        .ok_or(ProgramError::InsufficientFunds)?;
    let to_after = to
        .lamports()
        .checked_add(lamports)
        .ok_or(LoanbridgeError::ArithmeticOverflow)?;
    from.set_lamports(from_after);
    to.set_lamports(to_after);
    Ok(())
}

/// The fields of an SPL Token account the program reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccount {
    pub mint: [u8; 32],
    pub owner: [u8; 32],
    pub amount: u64,
}

/// SPL Token account layout: mint(32) owner(32) amount(8) delegate(36)
/// state(1) is_native(12) delegated_amount(8) close_authority(36).
const TOKEN_ACCOUNT_LEN: usize = 165;
const TOKEN_ACCOUNT_STATE_OFFSET: usize = 108;
/// `AccountState::Initialized` (1); 0 is uninitialized, 2 frozen.
const TOKEN_ACCOUNT_INITIALIZED: u8 = 1;

/// Reads an initialized, unfrozen SPL Token account.
pub fn token_account(account: &AccountView) -> Result<TokenAccount, ProgramError> {
    if !account.owned_by(&TOKEN_PROGRAM_ID) {
        return Err(LoanbridgeError::InvalidTokenAccount.into());
    }
    let data = account.try_borrow()?;
    parse_token_account(&data).ok_or_else(|| LoanbridgeError::InvalidTokenAccount.into())
}

/// [`token_account`]'s parsing, on bytes.
pub fn parse_token_account(data: &[u8]) -> Option<TokenAccount> {
    if data.len() != TOKEN_ACCOUNT_LEN
        || data[TOKEN_ACCOUNT_STATE_OFFSET] != TOKEN_ACCOUNT_INITIALIZED
    {
        return None;
    }
    let (mint, rest) = data.split_first_chunk::<32>()?;
    let (owner, rest) = rest.split_first_chunk::<32>()?;
    let (amount, _) = rest.split_first_chunk::<8>()?;
    Some(TokenAccount {
        mint: *mint,
        owner: *owner,
        amount: u64::from_le_bytes(*amount),
    })
}

/// Checks a token account's mint and owner; returns its balance.
pub fn require_token_account(
    account: &AccountView,
    mint: &[u8; 32],
    owner: &[u8; 32],
) -> Result<u64, ProgramError> {
    let token = token_account(account)?;
    if &token.mint != mint || &token.owner != owner {
        return Err(LoanbridgeError::InvalidTokenAccount.into());
    }
    Ok(token.amount)
}

/// The fields of an SPL Token mint the program reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mint {
    /// `None` for a fixed-supply mint.
    pub mint_authority: Option<[u8; 32]>,
    pub supply: u64,
    pub decimals: u8,
}

/// SPL Token mint layout: mint_authority COption(4+32) supply(8) decimals(1)
/// is_initialized(1) freeze_authority COption(4+32).
const MINT_LEN: usize = 82;

/// Reads an initialized SPL Token mint.
pub fn mint(account: &AccountView) -> Result<Mint, ProgramError> {
    if !account.owned_by(&TOKEN_PROGRAM_ID) {
        return Err(LoanbridgeError::InvalidMint.into());
    }
    let data = account.try_borrow()?;
    parse_mint(&data).ok_or_else(|| LoanbridgeError::InvalidMint.into())
}

/// [`mint`]'s parsing, on bytes.
pub fn parse_mint(data: &[u8]) -> Option<Mint> {
    if data.len() != MINT_LEN || data[45] != 1 {
        return None;
    }
    let (tag, rest) = data.split_first_chunk::<4>()?;
    let (authority, rest) = rest.split_first_chunk::<32>()?;
    let (supply, rest) = rest.split_first_chunk::<8>()?;
    Some(Mint {
        mint_authority: (u32::from_le_bytes(*tag) == 1).then_some(*authority),
        supply: u64::from_le_bytes(*supply),
        decimals: rest[0],
    })
}

/// An SPL Token `Transfer` (see [`token_transfer`]).
pub struct TokenTransfer<'a> {
    pub from: &'a AccountView,
    pub to: &'a AccountView,
    /// The source's owner; signs, or is a PDA the program signs for.
    pub authority: &'a AccountView,
    pub amount: u64,
}

/// SPL Token `Transfer`, signing with `signers` when the authority is a PDA.
pub fn token_transfer(transfer: &TokenTransfer, signers: &[Signer]) -> ProgramResult {
    pinocchio_token::instructions::Transfer::new(
        transfer.from,
        transfer.to,
        transfer.authority,
        transfer.amount,
    )
    .invoke_signed(signers)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn token_bytes(state: u8) -> std::vec::Vec<u8> {
        let mut data = std::vec![0u8; TOKEN_ACCOUNT_LEN];
        data[..32].fill(1);
        data[32..64].fill(2);
        data[64..72].copy_from_slice(&42u64.to_le_bytes());
        data[TOKEN_ACCOUNT_STATE_OFFSET] = state;
        data
    }

    #[test]
    fn parses_an_initialized_token_account() {
        assert_eq!(
            parse_token_account(&token_bytes(1)),
            Some(TokenAccount {
                mint: [1; 32],
                owner: [2; 32],
                amount: 42
            })
        );
    }

    #[test]
    fn rejects_uninitialized_frozen_and_short_token_accounts() {
        assert_eq!(parse_token_account(&token_bytes(0)), None);
        assert_eq!(parse_token_account(&token_bytes(2)), None);
        assert_eq!(parse_token_account(&token_bytes(1)[..164]), None);
    }

    #[test]
    fn parses_a_mint() {
        let mut data = std::vec![0u8; MINT_LEN];
        data[..4].copy_from_slice(&1u32.to_le_bytes());
        data[4..36].fill(9);
        data[36..44].copy_from_slice(&1000u64.to_le_bytes());
        data[44] = 6;
        data[45] = 1;
        assert_eq!(
            parse_mint(&data),
            Some(Mint {
                mint_authority: Some([9; 32]),
                supply: 1000,
                decimals: 6
            })
        );
        data[..4].fill(0);
        assert_eq!(parse_mint(&data).map(|m| m.mint_authority), Some(None));
        data[45] = 0;
        assert_eq!(parse_mint(&data), None);
    }
}
