//! The vault's admin instructions: `SetRequestTtl` and `SetAssetAllowed`.

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};
use pinocchio_token::instructions::InitializeAccount3;

use crate::accounts::{
    create_pda, is_uninitialized, mint, require_payer, require_system_program,
    require_token_program, require_writable, NewAccount, TOKEN_PROGRAM_ID,
};
use crate::endpoint::{load_endpoint, require_admin};
use crate::error::LoanbridgeError;
use crate::pda;
use crate::state::{init, load, load_mut, AllowedAsset, Header, Layout, Vault};
use crate::vault::load_vault;

/// SPL Token account size.
const TOKEN_ACCOUNT_LEN: usize = 165;

/// `SetRequestTtl`: seconds from `open` to `expiresAt`, for loans opened
/// from now on.
///
/// Accounts:
/// 0. `[signer]` admin
/// 1. `[]` endpoint, PDA `[b"endpoint"]`
/// 2. `[writable]` vault, PDA `[b"vault"]`
pub fn set_request_ttl(
    program_id: &Address,
    accounts: &mut [AccountView],
    request_ttl: u64,
) -> ProgramResult {
    let [admin, endpoint, vault] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_admin(&*load_endpoint(endpoint, program_id)?, admin)?;
    load_vault(vault, program_id)?;
    if request_ttl == 0 {
        return Err(LoanbridgeError::VaultZeroRequestTtl.into());
    }
    load_mut::<Vault>(vault, program_id)?
        .request_ttl
        .set(request_ttl);
    Ok(())
}

/// `SetAssetAllowed`: adds an SPL mint to the allow-list or removes it
/// (removal affects new loans only). The first call for a mint creates its
/// allow-list entry and the vault's custody token account for it.
///
/// Accounts:
/// 0. `[writable, signer]` payer
/// 1. `[signer]` admin
/// 2. `[]` endpoint, PDA `[b"endpoint"]`
/// 3. `[]` vault, PDA `[b"vault"]`
/// 4. `[]` mint (SPL Token)
/// 5. `[writable]` allowed asset, PDA `[b"asset", mint]`
/// 6. `[writable]` custody token account, PDA `[b"custody", mint]`
/// 7. `[]` token program
/// 8. `[]` system program
pub fn set_asset_allowed(
    program_id: &Address,
    accounts: &mut [AccountView],
    allowed: bool,
) -> ProgramResult {
    let [payer, admin, endpoint, vault, mint_account, asset, custody, token_program, system_program] =
        accounts
    else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    require_token_program(token_program)?;
    require_writable(asset)?;
    require_admin(&*load_endpoint(endpoint, program_id)?, admin)?;
    load_vault(vault, program_id)?;
    mint(mint_account)?;
    let mint_key = mint_account.address().to_bytes();

    if !is_uninitialized(asset) {
        let entry = *load::<AllowedAsset>(asset, program_id)?;
        pda::check(
            asset,
            &[pda::ASSET, &mint_key],
            entry.header.bump,
            program_id,
        )?;
        load_mut::<AllowedAsset>(asset, program_id)?.allowed = allowed as u8;
        return Ok(());
    }
    require_writable(custody)?;
    let asset_bump = pda::check_canonical(asset, &[pda::ASSET, &mint_key], program_id)?;
    let custody_bump = pda::check_canonical(custody, &[pda::CUSTODY, &mint_key], program_id)?;

    let bump = [custody_bump];
    let seeds = [
        Seed::from(pda::CUSTODY),
        Seed::from(&mint_key),
        Seed::from(&bump),
    ];
    create_pda(&NewAccount {
        payer,
        account: custody,
        space: TOKEN_ACCOUNT_LEN,
        owner: &TOKEN_PROGRAM_ID,
        seeds: &seeds,
    })?;
    InitializeAccount3::new(custody, mint_account, vault.address()).invoke()?;

    let bump = [asset_bump];
    let seeds = [
        Seed::from(pda::ASSET),
        Seed::from(&mint_key),
        Seed::from(&bump),
    ];
    create_pda(&NewAccount {
        payer,
        account: asset,
        space: AllowedAsset::LEN,
        owner: program_id,
        seeds: &seeds,
    })?;
    init(
        asset,
        &AllowedAsset {
            header: Header::new(AllowedAsset::DISCRIMINATOR, asset_bump),
            allowed: allowed as u8,
            custody_bump,
            mint: mint_key,
        },
    )
}
