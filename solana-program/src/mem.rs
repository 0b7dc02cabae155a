//! `memcmp` and `bcmp` through the runtime's `sol_memcmp_` syscall, for the
//! offline SBF pipeline (upstream `bpfel-unknown-none`, see README).
//!
//! Every `[u8; 32]` comparison (an owner, an address against its PDA, a
//! program id, a verifier key) lowers to a `memcmp`/`bcmp` call. Without
//! these, the library's fallback compares byte by byte in SBF instructions:
//! about 220 CU for two equal addresses, and a delivery compares dozens.
//! The syscall charges `mem_op_base_cost` (10 CU) for up to 250 bytes.
//! `compiler_builtins` defines its versions weakly, so these win at link
//! time. Platform-tools (`cargo build-sbf`, `target_os = "solana"`) links
//! its own `compiler_builtins` for SBF, so this module is not built there.

extern "C" {
    fn sol_memcmp_(s1: *const u8, s2: *const u8, n: u64, result: *mut i32);
}

/// C `memcmp`: the difference of the first differing bytes, or 0.
///
/// # Safety
///
/// `s1` and `s2` must be valid for reads of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(s1: *const u8, s2: *const u8, n: usize) -> i32 {
    let mut result = 0i32;
    // SAFETY: the caller guarantees `n` readable bytes at `s1` and `s2`;
    // the syscall writes one `i32` to `result`, which lives on this frame.
    unsafe { sol_memcmp_(s1, s2, n as u64, &mut result) };
    result
}

/// C `bcmp`: zero when the `n` bytes are equal.
///
/// # Safety
///
/// `s1` and `s2` must be valid for reads of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn bcmp(s1: *const u8, s2: *const u8, n: usize) -> i32 {
    // SAFETY: the caller's guarantee, passed on.
    unsafe { memcmp(s1, s2, n) }
}
