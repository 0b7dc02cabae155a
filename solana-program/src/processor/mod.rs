//! One module per instruction; this one only dispatches.
mod admin;
mod cancel_expired;
mod close_packet;
pub mod deliver;
mod initialize_endpoint;
mod initialize_pool;
mod initialize_vault;
mod lend;
pub mod open;
mod pool_admin;
mod repay;
mod set_peer;
mod set_verifier_set;
mod settle;
mod vault_admin;
mod version;

use pinocchio::{AccountView, Address, ProgramResult};

use crate::instruction::LoanbridgeInstruction as I;

// Inlined into the entrypoint: with its six registers (five arguments and
// the result pointer) it could not be a call of its own on SBF.
#[inline(always)]
pub fn process_instruction(
    program_id: &Address,
    accounts: &mut [AccountView],
    instruction_data: &[u8],
) -> ProgramResult {
    match I::unpack(instruction_data)? {
        I::Version => version::process(accounts),
        I::InitializeEndpoint(args) => initialize_endpoint::process(program_id, accounts, args),
        I::SetVerifierSet {
            threshold,
            verifiers,
        } => set_verifier_set::process(program_id, accounts, &(threshold, verifiers)),
        I::SetPeer {
            app,
            remote_eid,
            remote_app,
        } => set_peer::process(program_id, accounts, &(app, remote_eid, remote_app)),
        I::SetGuardian { guardian } => admin::set_guardian(program_id, accounts, guardian),
        I::Pause => admin::pause(program_id, accounts),
        I::Unpause => admin::unpause(program_id, accounts),
        I::TransferAdmin { new_admin } => admin::transfer_admin(program_id, accounts, new_admin),
        I::AcceptAdmin => admin::accept_admin(program_id, accounts),
        I::Deliver { packet } => deliver::process(program_id, accounts, &packet),
        I::ClosePacket => close_packet::process(program_id, accounts),
        I::InitializeVault {
            lending_eid,
            request_ttl,
        } => initialize_vault::process(program_id, accounts, &(lending_eid, request_ttl)),
        I::SetRequestTtl { request_ttl } => {
            vault_admin::set_request_ttl(program_id, accounts, request_ttl)
        }
        I::SetAssetAllowed { allowed } => {
            vault_admin::set_asset_allowed(program_id, accounts, allowed)
        }
        I::OpenNative(args) => {
            open::process(program_id, accounts, &(args, open::Collateral::Native))
        }
        I::OpenToken(args) => open::process(program_id, accounts, &(args, open::Collateral::Token)),
        I::InitializePool {
            terms,
            max_price_age,
            due_bucket_seconds,
        } => initialize_pool::process(
            program_id,
            accounts,
            &initialize_pool::PoolSettings {
                terms,
                max_price_age,
                due_bucket_seconds,
            },
        ),
        I::SetLoanTerms(terms) => pool_admin::set_loan_terms(program_id, accounts, &terms),
        I::SetCollateral(args) => pool_admin::set_collateral(program_id, accounts, &args),
        I::SetBeneficiary {
            remote_eid,
            beneficiary,
        } => pool_admin::set_beneficiary(program_id, accounts, &(remote_eid, beneficiary)),
        I::SetPrice { price_id, price } => {
            pool_admin::set_price(program_id, accounts, &(price_id, price))
        }
        I::SetMaxPriceAge { max_price_age } => {
            pool_admin::set_max_price_age(program_id, accounts, max_price_age)
        }
        I::PausePool => pool_admin::pause_pool(program_id, accounts),
        I::UnpausePool => pool_admin::unpause_pool(program_id, accounts),
        I::Deposit { assets } => lend::process(program_id, accounts, &lend::Lend::Deposit(assets)),
        I::Redeem { shares } => lend::process(program_id, accounts, &lend::Lend::Redeem(shares)),
        I::Withdraw { assets } => {
            lend::process(program_id, accounts, &lend::Lend::Withdraw(assets))
        }
        I::Repay { amount } => repay::process(program_id, accounts, amount),
        I::DeclareDefault => settle::process(program_id, accounts, &settle::Settlement::Default),
        I::Liquidate => settle::process(program_id, accounts, &settle::Settlement::Liquidation),
        I::CancelExpired(args) => cancel_expired::process(program_id, accounts, &args),
        I::SetInstallmentTerms(terms) => {
            pool_admin::set_installment_terms(program_id, accounts, &terms)
        }
    }
}
