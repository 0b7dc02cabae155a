//! `InitializePool`: creates the pool (PDA `[b"pool"]`, its app identity on
//! the wire), its liquidity token account (PDA `[b"liquidity"]`) and its
//! share mint (PDA `[b"shares"]`, stablecoin decimals + 3), both owned by
//! the pool. The due-bucket width W is fixed here for the pool's life
//! (shared/LOANS.md "Overdue loans leave pool assets at their due time"):
//! the first bucket not yet due at creation starts the ring's cursor.
//!
//! Accounts:
//! 0. `[writable, signer]` payer
//! 1. `[signer]` admin
//! 2. `[]` endpoint, PDA `[b"endpoint"]`
//! 3. `[writable]` pool, PDA `[b"pool"]` (created)
//! 4. `[]` stablecoin mint
//! 5. `[writable]` liquidity, PDA `[b"liquidity"]` (created)
//! 6. `[writable]` share mint, PDA `[b"shares"]` (created)
//! 7. `[]` token program
//! 8. `[]` system program

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};
use pinocchio_token::instructions::{InitializeAccount3, InitializeMint2};

use crate::accounts::{
    create_pda, is_uninitialized, mint, require_payer, require_system_program,
    require_token_program, NewAccount, TOKEN_PROGRAM_ID,
};
use crate::endpoint::{load_endpoint, require_admin};
use crate::error::LoanbridgeError;
use crate::instruction::LoanTermsArgs;
use crate::pda;
use crate::pool::due::{first_not_due, MAX_DUE_BUCKET_SECONDS, MIN_DUE_BUCKET_SECONDS};
use crate::pool::{check_terms, SHARE_DECIMALS_OFFSET};
use crate::processor::open::now;
use crate::state::{init_in_place, Header, Layout, Pool};

const TOKEN_ACCOUNT_LEN: usize = 165;
const MINT_LEN: usize = 82;

/// `InitializePool`'s arguments.
pub struct PoolSettings {
    pub terms: LoanTermsArgs,
    pub max_price_age: u64,
    pub due_bucket_seconds: u64,
}

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    settings: &PoolSettings,
) -> ProgramResult {
    let PoolSettings {
        terms,
        max_price_age,
        due_bucket_seconds: width,
    } = settings;
    let [payer, admin, endpoint, pool, stablecoin, liquidity, shares, token_program, system_program] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    require_token_program(token_program)?;
    let bump = {
        let state = load_endpoint(endpoint, program_id)?;
        require_admin(&state, admin)?;
        if pool.address().as_array() != &state.pool {
            return Err(LoanbridgeError::InvalidPda.into());
        }
        state.pool_bump
    };
    if !(MIN_DUE_BUCKET_SECONDS..=MAX_DUE_BUCKET_SECONDS).contains(width) {
        return Err(LoanbridgeError::PoolInvalidDueBucket.into());
    }
    check_terms(terms, *width)?;
    if !is_uninitialized(pool) {
        return Err(LoanbridgeError::AccountAlreadyInitialized.into());
    }
    let decimals = mint(stablecoin)?
        .decimals
        .checked_add(SHARE_DECIMALS_OFFSET)
        .ok_or(LoanbridgeError::InvalidMint)?;
    let liquidity_bump = pda::check_canonical(liquidity, &[pda::LIQUIDITY], program_id)?;
    let shares_bump = pda::check_canonical(shares, &[pda::SHARES], program_id)?;

    let bump_seed = [liquidity_bump];
    let seeds = [Seed::from(pda::LIQUIDITY), Seed::from(&bump_seed)];
    create_pda(&NewAccount {
        payer,
        account: liquidity,
        space: TOKEN_ACCOUNT_LEN,
        owner: &TOKEN_PROGRAM_ID,
        seeds: &seeds,
    })?;
    InitializeAccount3::new(liquidity, stablecoin, pool.address()).invoke()?;

    let bump_seed = [shares_bump];
    let seeds = [Seed::from(pda::SHARES), Seed::from(&bump_seed)];
    create_pda(&NewAccount {
        payer,
        account: shares,
        space: MINT_LEN,
        owner: &TOKEN_PROGRAM_ID,
        seeds: &seeds,
    })?;
    InitializeMint2::new(shares, decimals, pool.address(), None).invoke()?;

    let bump_seed = [bump];
    let seeds = [Seed::from(pda::POOL), Seed::from(&bump_seed)];
    create_pda(&NewAccount {
        payer,
        account: pool,
        space: Pool::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    let now = now()?;
    let mut state = init_in_place::<Pool>(pool, Header::new(Pool::DISCRIMINATOR, bump))?;
    state.stablecoin_mint = stablecoin.address().to_bytes();
    state.share_mint = shares.address().to_bytes();
    state.liquidity = liquidity.address().to_bytes();
    state.share_mint_bump = shares_bump;
    state.liquidity_bump = liquidity_bump;
    state.rate_bps.set(terms.rate_bps);
    state.min_term_seconds.set(terms.min_term_seconds);
    state.max_term_seconds.set(terms.max_term_seconds);
    state.grace_period_seconds.set(terms.grace_period_seconds);
    state.max_price_age.set(*max_price_age);
    state.due_bucket_seconds.set(*width);
    // No bucket before the first not yet due holds a loan.
    state.due_cursor.set(first_not_due(now, *width));
    // Bullet loans only until `SetInstallmentTerms` (no periods allowed).
    state.max_installments.set(1);
    Ok(())
}
