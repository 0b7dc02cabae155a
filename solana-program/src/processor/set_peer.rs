//! `SetPeer`: sets which remote app a local app (vault or pool) talks to on
//! one remote chain; creates the peer and the app's outbound nonce for that
//! chain on first use. A zero remote app unsets the peer: every packet from
//! that chain is then rejected and nothing can be sent there.
//!
//! Accounts:
//! 0. `[writable, signer]` payer
//! 1. `[signer]` admin
//! 2. `[]` endpoint, PDA `[b"endpoint"]`
//! 3. `[writable]` peer, PDA `[b"peer", app, remote_eid (u32 LE)]`
//! 4. `[writable]` outbound nonce, PDA `[b"nonce", app, remote_eid (u32 LE)]`
//! 5. `[]` system program

use pinocchio::cpi::Seed;
use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult};

use crate::accounts::{
    create_pda, is_uninitialized, require_payer, require_system_program, require_writable,
    NewAccount,
};
use crate::endpoint::{load_endpoint, require_admin};
use crate::error::LoanbridgeError;
use crate::pda;
use crate::state::{init, load_mut, Header, Layout, OutboundNonce, Peer, U32, U64};

pub fn process(
    program_id: &Address,
    accounts: &mut [AccountView],
    &(app, remote_eid, remote_app): &([u8; 32], u32, [u8; 32]),
) -> ProgramResult {
    let [payer, admin, endpoint, peer, nonce, system_program] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    require_payer(payer)?;
    require_system_program(system_program)?;
    require_writable(peer)?;
    require_writable(nonce)?;
    {
        let state = load_endpoint(endpoint, program_id)?;
        require_admin(&state, admin)?;
        if (app != state.vault && app != state.pool) || remote_eid == 0 {
            return Err(LoanbridgeError::InvalidPeer.into());
        }
    }
    let eid = remote_eid.to_le_bytes();
    let peer_seeds: [&[u8]; 3] = [pda::PEER, &app, &eid];
    let nonce_seeds: [&[u8]; 3] = [pda::NONCE, &app, &eid];
    let create_peer = is_uninitialized(peer);
    let peer_bump = if create_peer {
        pda::check_canonical(peer, &peer_seeds, program_id)?
    } else {
        let stored = crate::state::load::<Peer>(peer, program_id)?;
        pda::check(peer, &peer_seeds, stored.header.bump, program_id)?;
        stored.header.bump
    };
    let create_nonce = is_uninitialized(nonce);
    let nonce_bump = if create_nonce {
        pda::check_canonical(nonce, &nonce_seeds, program_id)?
    } else {
        let stored = crate::state::load::<OutboundNonce>(nonce, program_id)?;
        pda::check(nonce, &nonce_seeds, stored.header.bump, program_id)?;
        stored.header.bump
    };

    if create_peer {
        let bump = [peer_bump];
        let seeds = [
            Seed::from(pda::PEER),
            Seed::from(&app),
            Seed::from(&eid),
            Seed::from(&bump),
        ];
        create_pda(&NewAccount {
            payer,
            account: peer,
            space: Peer::LEN,
            owner: program_id,
            seeds: &seeds,
        })?;
        init(
            peer,
            &Peer {
                header: Header::new(Peer::DISCRIMINATOR, peer_bump),
                remote_eid: U32::new(remote_eid),
                local_app: app,
                remote_app,
            },
        )?;
    } else {
        load_mut::<Peer>(peer, program_id)?.remote_app = remote_app;
    }
    if create_nonce {
        let bump = [nonce_bump];
        let seeds = [
            Seed::from(pda::NONCE),
            Seed::from(&app),
            Seed::from(&eid),
            Seed::from(&bump),
        ];
        create_pda(&NewAccount {
            payer,
            account: nonce,
            space: OutboundNonce::LEN,
            owner: program_id,
            seeds: &seeds,
        })?;
        init(
            nonce,
            &OutboundNonce {
                header: Header::new(OutboundNonce::DISCRIMINATOR, nonce_bump),
                dst_eid: U32::new(remote_eid),
                app,
                nonce: U64::new(0),
                close_horizon: U64::new(0),
            },
        )?;
    }
    Ok(())
}
