//! The pool's admin instructions (shared/LOANS.md "Pool" settings):
//! `SetLoanTerms`, `SetMaxPriceAge`, `SetCollateral`, `SetBeneficiary`,
//! `SetPrice`, `PausePool`, `UnpausePool`, `SetInstallmentTerms`.

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_payer, require_signer, require_system_program,
    require_writable, NewAccount,
};
use crate::endpoint::{load_endpoint, require_admin};
use crate::error::LoanbridgeError;
use crate::instruction::{InstallmentTermsArgs, LoanTermsArgs, SetCollateralArgs};
use crate::math::BPS;
use crate::pda;
use crate::pool::{check_installment_terms, check_terms, load_pool};
use crate::processor::open::now;
use crate::state::{
    init, load, load_mut, Beneficiary, CollateralConfig, Header, Layout, Pool, Price, U128, U16,
    U32, U64,
};

/// The three accounts of the pool's settings instructions:
/// 0. `[signer]` admin (`PausePool`: admin or guardian)
/// 1. `[]` endpoint, PDA `[b"endpoint"]`
/// 2. `[writable]` pool, PDA `[b"pool"]`
fn pool_settings<'a>(
    program_id: &Address,
    accounts: &'a mut [AccountView],
) -> Result<&'a mut AccountView, ProgramError> {
    let [admin, endpoint, pool] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_admin(&*load_endpoint(endpoint, program_id)?, admin)?;
    load_pool(pool, program_id)?;
    Ok(pool)
}

/// `SetLoanTerms`: rate for new loans, term range, grace before default.
pub fn set_loan_terms(
    program_id: &Address,
    accounts: &mut [AccountView],
    terms: &LoanTermsArgs,
) -> ProgramResult {
    let pool = pool_settings(program_id, accounts)?;
    let mut state = load_mut::<Pool>(pool, program_id)?;
    check_terms(terms, state.due_bucket_seconds.get())?;
    state.rate_bps.set(terms.rate_bps);
    state.min_term_seconds.set(terms.min_term_seconds);
    state.max_term_seconds.set(terms.max_term_seconds);
    state.grace_period_seconds.set(terms.grace_period_seconds);
    Ok(())
}

/// `SetInstallmentTerms` (admin; shared/LOANS.md "Installments"): the most
/// installments a loan may have, in `[1, MAX_INSTALLMENTS]`, and up to four
/// allowed periods (0 = unused slot), each at most `max_term_seconds`;
/// otherwise `PoolInvalidInstallmentTerms`. Applies to loans opened after.
pub fn set_installment_terms(
    program_id: &Address,
    accounts: &mut [AccountView],
    terms: &InstallmentTermsArgs,
) -> ProgramResult {
    let pool = pool_settings(program_id, accounts)?;
    let mut state = load_mut::<Pool>(pool, program_id)?;
    check_installment_terms(terms, state.max_term_seconds.get())?;
    state.max_installments.set(terms.max_installments);
    state.installment_periods = terms.periods.map(U64::new);
    Ok(())
}

/// `SetMaxPriceAge`: oldest price (seconds) a loan check accepts.
pub fn set_max_price_age(
    program_id: &Address,
    accounts: &mut [AccountView],
    max_price_age: u64,
) -> ProgramResult {
    let pool = pool_settings(program_id, accounts)?;
    load_mut::<Pool>(pool, program_id)?
        .max_price_age
        .set(max_price_age);
    Ok(())
}

/// `PausePool` (admin or guardian): `OPEN_LOAN` answers `Paused`; deposits,
/// withdrawals, repayments, defaults and liquidations go on.
pub fn pause_pool(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let [authority, endpoint, pool] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_signer(authority)?;
    {
        let state = load_endpoint(endpoint, program_id)?;
        let signer = authority.address().as_array();
        let is_guardian = state.guardian != [0; 32] && signer == &state.guardian;
        if signer != &state.admin && !is_guardian {
            return Err(LoanbridgeError::NotGuardian.into());
        }
    }
    if load_pool(pool, program_id)?.paused != 0 {
        return Err(LoanbridgeError::PoolPaused.into());
    }
    load_mut::<Pool>(pool, program_id)?.paused = 1;
    Ok(())
}

/// `UnpausePool` (admin only).
pub fn unpause_pool(program_id: &Address, accounts: &mut [AccountView]) -> ProgramResult {
    let pool = pool_settings(program_id, accounts)?;
    let mut state = load_mut::<Pool>(pool, program_id)?;
    if state.paused == 0 {
        return Err(LoanbridgeError::PoolNotPaused.into());
    }
    state.paused = 0;
    Ok(())
}

/// The accounts of the instructions that create or update one keyed
/// setting account:
/// 0. `[writable, signer]` payer
/// 1. `[signer]` admin
/// 2. `[]` endpoint, PDA `[b"endpoint"]`
/// 3. `[writable]` the setting's PDA (created on first use)
/// 4. `[]` system program
struct Setting<'a> {
    payer: &'a AccountView,
    account: &'a mut AccountView,
}

fn setting_accounts<'a>(
    program_id: &Address,
    accounts: &'a mut [AccountView],
) -> Result<Setting<'a>, ProgramError> {
    let [payer, admin, endpoint, account, system_program] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    require_writable(account)?;
    require_admin(&*load_endpoint(endpoint, program_id)?, admin)?;
    Ok(Setting { payer, account })
}

/// Creates the setting account at the canonical PDA of `seeds` with
/// `value` (whose bump is filled in), or checks and returns `false` if it
/// exists (the caller then updates it).
fn create_setting<T: Layout>(
    setting: &mut Setting,
    seeds: &[&[u8]],
    value: &mut T,
    program_id: &Address,
) -> Result<bool, ProgramError> {
    if !is_uninitialized(setting.account) {
        let bump = load::<T>(setting.account, program_id)?.header().bump;
        if &pda::derive_slice(seeds, bump, program_id)? != setting.account.address() {
            return Err(LoanbridgeError::InvalidPda.into());
        }
        return Ok(false);
    }
    let bump = pda::check_canonical(setting.account, seeds, program_id)?;
    value.header_mut().bump = bump;
    if seeds.len() > 3 {
        return Err(ProgramError::InvalidSeeds);
    }
    let bump_seed = [bump];
    // Up to three seeds and the bump.
    let seed_at = |i: usize| Seed::from(seeds.get(i).copied().unwrap_or(&[]));
    let count = seeds.len();
    let mut ordered = [seed_at(0), seed_at(1), seed_at(2), seed_at(3)];
    ordered[count] = Seed::from(&bump_seed);
    create_pda(&NewAccount {
        payer: setting.payer,
        account: setting.account,
        space: T::LEN,
        owner: program_id,
        seeds: &ordered[..=count],
    })?;
    init(setting.account, value)?;
    Ok(true)
}

/// `SetCollateral`: LTVs and price id for one (remote eid, asset); both LTVs
/// zero removes it. Requires `0 < maxLtv < liquidationLtv ≤ 10,000`.
pub fn set_collateral(
    program_id: &Address,
    accounts: &mut [AccountView],
    args: &SetCollateralArgs,
) -> ProgramResult {
    let mut setting = setting_accounts(program_id, accounts)?;
    let (max, liquidation) = (args.max_ltv_bps, args.liquidation_ltv_bps);
    let removal = max == 0 && liquidation == 0;
    if !removal && (max == 0 || liquidation <= max || liquidation as u64 > BPS) {
        return Err(LoanbridgeError::PoolInvalidLtv.into());
    }
    let price_id = if removal { [0; 32] } else { args.price_id };
    let eid = args.remote_eid.to_le_bytes();
    let mut value = CollateralConfig {
        header: Header::new(CollateralConfig::DISCRIMINATOR, 0),
        max_ltv_bps: U16::new(max),
        liquidation_ltv_bps: U16::new(liquidation),
        remote_eid: U32::new(args.remote_eid),
        asset: args.asset,
        price_id,
    };
    if !create_setting(
        &mut setting,
        &[pda::COLLATERAL, &eid, &args.asset],
        &mut value,
        program_id,
    )? {
        let mut config = load_mut::<CollateralConfig>(setting.account, program_id)?;
        config.max_ltv_bps = value.max_ltv_bps;
        config.liquidation_ltv_bps = value.liquidation_ltv_bps;
        config.price_id = price_id;
    }
    Ok(())
}

/// `SetBeneficiary`: who receives seized collateral on `remote_eid` (zero:
/// unset, so defaults and liquidations there fail).
pub fn set_beneficiary(
    program_id: &Address,
    accounts: &mut [AccountView],
    (remote_eid, beneficiary): &(u32, [u8; 32]),
) -> ProgramResult {
    let mut setting = setting_accounts(program_id, accounts)?;
    let eid = remote_eid.to_le_bytes();
    let mut value = Beneficiary {
        header: Header::new(Beneficiary::DISCRIMINATOR, 0),
        remote_eid: U32::new(*remote_eid),
        beneficiary: *beneficiary,
    };
    if !create_setting(
        &mut setting,
        &[pda::BENEFICIARY, &eid],
        &mut value,
        program_id,
    )? {
        load_mut::<Beneficiary>(setting.account, program_id)?.beneficiary = *beneficiary;
    }
    Ok(())
}

/// `SetPrice`: the value of 10^18 collateral base units in stablecoin base
/// units, timestamped now (a zero price reads as missing).
pub fn set_price(
    program_id: &Address,
    accounts: &mut [AccountView],
    (price_id, price): &([u8; 32], u128),
) -> ProgramResult {
    let mut setting = setting_accounts(program_id, accounts)?;
    let now = now()?;
    let mut value = Price {
        header: Header::new(Price::DISCRIMINATOR, 0),
        price_id: *price_id,
        price: U128::new(*price),
        updated_at: U64::new(now),
    };
    if !create_setting(
        &mut setting,
        &[pda::PRICE, price_id],
        &mut value,
        program_id,
    )? {
        let mut stored = load_mut::<Price>(setting.account, program_id)?;
        stored.price.set(*price);
        stored.updated_at.set(now);
    }
    Ok(())
}
