//! Lenders: `Deposit` (stablecoin for shares), `Redeem` (shares for
//! stablecoin) and `Withdraw` (stablecoin for the shares it costs), with
//! ERC-4626 rounding in the pool's favour. Withdrawals are limited to the
//! stablecoin the pool holds: lent principal cannot be withdrawn.
//!
//! Accounts (all three):
//! 0. `[signer]` lender: owns both token accounts
//! 1. `[]` pool, PDA `[b"pool"]`
//! 2. `[writable]` liquidity, the pool's token account
//! 3. `[writable]` share mint, PDA `[b"shares"]`
//! 4. `[writable]` lender's stablecoin token account
//! 5. `[writable]` lender's share token account
//! 6. `[]` token program

use pinocchio::cpi::Signer;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};
use pinocchio_token::instructions::{Burn, MintTo};

use crate::accounts::{
    mint, require_signer, require_token_account, require_token_program, require_writable,
    token_transfer, TokenTransfer,
};
use crate::error::LoanbridgeError;
use crate::pool::{
    liquidity_held, load_pool, to_assets, to_shares, total_assets, PoolSeeds, ShareTotals,
};
use crate::processor::open::now;

/// What a lender asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lend {
    /// Deposit this much stablecoin.
    Deposit(u64),
    /// Burn this many shares.
    Redeem(u64),
    /// Take this much stablecoin out.
    Withdraw(u64),
}

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    request: &Lend,
) -> ProgramResult {
    let [lender, pool_account, liquidity, share_mint, lender_stable, lender_shares, token_program] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_signer(lender)?;
    require_token_program(token_program)?;
    require_writable(liquidity)?;
    require_writable(share_mint)?;
    require_writable(lender_stable)?;
    require_writable(lender_shares)?;
    let lender_key = lender.address().to_bytes();
    let (held, totals, signer_seeds) = {
        let pool = load_pool(pool_account, program_id)?;
        if share_mint.address().as_array() != &pool.share_mint {
            return Err(LoanbridgeError::InvalidPda.into());
        }
        require_token_account(lender_stable, &pool.stablecoin_mint, &lender_key)?;
        let held = liquidity_held(&pool, liquidity)?;
        // Read-only: due buckets are left out without being flushed.
        let totals = ShareTotals {
            assets: total_assets(&pool, held, now()?),
            supply: mint(share_mint)?.supply,
        };
        (held, totals, PoolSeeds::new(&pool))
    };
    let share_mint_key = share_mint.address().to_bytes();
    let share_balance = require_token_account(lender_shares, &share_mint_key, &lender_key)?;

    // (assets moved, shares moved) and the direction.
    let (assets, shares, depositing) = match *request {
        Lend::Deposit(assets) => (assets, to_shares(assets, &totals, false)?, true),
        Lend::Redeem(shares) => (to_assets(shares, &totals)?, shares, false),
        Lend::Withdraw(assets) => (assets, to_shares(assets, &totals, true)?, false),
    };
    if assets == 0 || shares == 0 {
        return Err(LoanbridgeError::PoolZeroAmount.into());
    }
    if !depositing && (assets > held || shares > share_balance) {
        return Err(LoanbridgeError::PoolInsufficientLiquidity.into());
    }

    let seeds = signer_seeds.seeds();
    let pool_signer = [Signer::from(&seeds)];
    if depositing {
        let transfer = TokenTransfer {
            from: lender_stable,
            to: liquidity,
            authority: lender,
            amount: assets,
        };
        token_transfer(&transfer, &[])?;
        MintTo::new(share_mint, lender_shares, pool_account, shares).invoke_signed(&pool_signer)
    } else {
        Burn::new(lender_shares, share_mint, lender, shares).invoke()?;
        let transfer = TokenTransfer {
            from: liquidity,
            to: lender_stable,
            authority: pool_account,
            amount: assets,
        };
        token_transfer(&transfer, &pool_signer)
    }
}
