//! `sbf-link`: builds a Solana program into an SBPF v0 shared object with
//! upstream tools only (Debian's Rust and LLVM 22), for machines that cannot
//! download Solana's platform-tools.
//!
//! The library holds the two pure steps of the pipeline:
//! - [`ir::route_mem_intrinsics`]: the LLVM IR rewrite that sends
//!   `llvm.memcpy`/`memmove`/`memset` to the `sol_mem*_` syscalls;
//! - [`link::relink`]: the ELF relocatable → SBPF v0 shared object step.
//!
//! The binary (`src/main.rs`) runs cargo and the LLVM tools around them.

pub mod ir;
pub mod link;

pub use ir::route_mem_intrinsics;
pub use link::{relink, LinkError, SharedObject, Summary};
