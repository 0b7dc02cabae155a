use pinocchio::{error::ProgramError, AccountView, ProgramResult};

use crate::VERSION;

/// Logs `loanbridge <version>` and returns the version string as return
/// data, so clients can check which build a program id runs.
///
/// Accounts: none.
pub fn process(accounts: &mut [AccountView]) -> ProgramResult {
    if !accounts.is_empty() {
        return Err(ProgramError::InvalidArgument);
    }
    solana_program_log::log("loanbridge");
    solana_program_log::log(VERSION);
    set_return_data(VERSION.as_bytes());
    Ok(())
}

fn set_return_data(data: &[u8]) {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    // SAFETY: the pointer and length describe a live, initialised slice.
    unsafe {
        pinocchio::syscalls::sol_set_return_data(data.as_ptr(), data.len() as u64)
    };
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    let _ = data;
}
