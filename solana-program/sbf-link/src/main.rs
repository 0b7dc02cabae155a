//! `sbf-link` command line: the whole offline SBF build (`build`) and its
//! single steps (`relink`, `route-intrinsics`) for debugging.

mod pipeline;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use pipeline::{BuildError, BuildOptions};

#[derive(Debug, Parser)]
#[command(
    name = "sbf-link",
    version,
    about = "Build a Solana program to an SBPF v0 shared object with Debian's Rust and LLVM 22"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline: cargo rustc (bitcode) → llvm-dis-22 →
    /// intrinsic routing → llvm-as-22 → llc-22 → relink.
    Build {
        /// Cargo.toml of the workspace or package to build.
        #[arg(long)]
        manifest_path: PathBuf,
        /// Package to build (its library target).
        #[arg(long, short)]
        package: String,
        /// Where to write the shared object.
        #[arg(long)]
        out: PathBuf,
        /// Entry symbol.
        #[arg(long, default_value = "entrypoint")]
        entry: String,
    },
    /// Relink a BPF relocatable object (ET_REL, from llc-22) into an SBPF v0 .so.
    Relink {
        input: PathBuf,
        output: PathBuf,
        /// Entry symbol.
        #[arg(long, default_value = "entrypoint")]
        entry: String,
    },
    /// Rewrite llvm.memcpy/memmove/memset calls in textual IR into sol_mem*_ syscalls.
    RouteIntrinsics { input: PathBuf, output: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sbf-link: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), BuildError> {
    match command {
        Command::Build {
            manifest_path,
            package,
            out,
            entry,
        } => {
            let summary = pipeline::build(&BuildOptions {
                manifest_path,
                package,
                out: out.clone(),
                entry,
            })?;
            println!("wrote {}: {summary}", out.display());
        }
        Command::Relink {
            input,
            output,
            entry,
        } => {
            let object = read(&input)?;
            let shared = sbf_link::relink(&object, &entry)?;
            write(&output, &shared.bytes)?;
            println!("wrote {}: {}", output.display(), shared.summary);
        }
        Command::RouteIntrinsics { input, output } => {
            let ir = read_text(&input)?;
            let (routed, count) = sbf_link::route_mem_intrinsics(&ir);
            write(&output, routed.as_bytes())?;
            println!(
                "wrote {}: rewrote {count} intrinsic calls",
                output.display()
            );
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, BuildError> {
    fs::read(path).map_err(|source| BuildError::io("read", path, source))
}

fn read_text(path: &Path) -> Result<String, BuildError> {
    fs::read_to_string(path).map_err(|source| BuildError::io("read", path, source))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    fs::write(path, bytes).map_err(|source| BuildError::io("write", path, source))
}
