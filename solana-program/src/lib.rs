//! loanbridge Solana program.
//!
//! One program holds the cross-chain endpoint, the collateral vault and the
//! lending pool. `interface` modules (instruction, error) are what clients
//! share; `processor` holds one module per instruction.
#![no_std]

pub mod accounts;
pub mod endpoint;
pub mod error;
pub mod idl;
pub mod instruction;
pub mod math;
#[cfg(all(target_arch = "bpf", not(target_os = "solana")))]
mod mem;
pub mod pda;
pub mod pool;
pub mod processor;
pub mod state;
pub mod vault;
pub mod wire;

// The macros pick the target themselves: on SBF (`target_os = "solana"` under
// platform-tools, `target_arch = "bpf"` under our offline pipeline) they set
// up the runtime's entrypoint and panic handler; on the host they link std,
// so the crate also builds for unit tests and clippy.
mod entrypoint {
    use pinocchio::{no_allocator, nostd_panic_handler, program_entrypoint};

    program_entrypoint!(crate::processor::process_instruction);
    // Every account layout is zero-copy, so the program never allocates:
    // `no_allocator!` makes any accidental allocation fail loudly.
    no_allocator!();
    nostd_panic_handler!();
}

/// Semantic version of the program, reported by the `Version` instruction.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
