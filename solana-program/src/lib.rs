//! loanbridge Solana program.
//!
//! One program holds the cross-chain endpoint, the collateral vault and the
//! lending pool. `interface` modules (instruction, error) are what clients
//! share; `processor` holds one module per instruction.
#![no_std]

pub mod error;
pub mod instruction;
pub mod processor;

// `target_os = "solana"` under platform-tools (`cargo build-sbf`),
// `target_arch = "bpf"` under our offline upstream-LLVM pipeline.
#[cfg(any(target_os = "solana", target_arch = "bpf"))]
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
