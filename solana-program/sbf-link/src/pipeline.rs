//! The `build` subcommand: runs cargo and the LLVM 22 tools around the
//! library's two pure steps.
//!
//! ```text
//! cargo rustc --release --lib --crate-type staticlib --target bpfel-unknown-none
//!     -Z build-std=core,alloc --target-dir <dir>/target/sbf -- --emit=obj
//!                                    (fat LTO: the .o is LLVM bitcode)
//! llvm-dis-22 → route_mem_intrinsics → llvm-as-22
//! llc-22 -march=bpfel -mcpu=v2 -mattr=+allows-misaligned-mem-access -bpf-stack-size=4096 -filetype=obj
//! relink → <out>.so
//! ```

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Instant, SystemTime};

use sbf_link::{LinkError, Summary};
use thiserror::Error;

/// Debian packages that provide Rust 1.96 with its library source.
const RUST_PACKAGES: &str = "rustc-web cargo-web rust-web-src";
/// Debian package that provides the LLVM 22 tools.
const LLVM_PACKAGE: &str = "llvm-22";
/// Debian's cargo: rustup's toolchain has no rust-src for build-std.
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const TARGET: &str = "bpfel-unknown-none";
const STEPS: usize = 6;

#[derive(Debug, Error)]
pub enum BuildError {
    #[error("`{tool}` not found on PATH: install the Debian package(s) {packages} (apt-get install -y {packages})")]
    ToolMissing {
        tool: String,
        packages: &'static str,
    },
    #[error("Rust library source not found at {}: -Z build-std needs it; install the Debian packages {RUST_PACKAGES}", .path.display())]
    RustSrcMissing { path: PathBuf },
    #[error("could not run `{command}`: {source}")]
    Spawn { command: String, source: io::Error },
    #[error("`{command}` failed ({status})")]
    CommandFailed { command: String, status: ExitStatus },
    #[error("could not {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cargo produced no {crate_name}-*.o in {}", .dir.display())]
    NoObject { dir: PathBuf, crate_name: String },
    #[error("{} is not LLVM bitcode: the pipeline relies on fat LTO ([profile.release] lto = true), which makes --emit=obj write bitcode", .path.display())]
    NotBitcode { path: PathBuf },
    #[error("relink: {0}")]
    Link(#[from] LinkError),
}

impl BuildError {
    pub fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        BuildError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub manifest_path: PathBuf,
    pub package: String,
    pub out: PathBuf,
    pub entry: String,
}

/// The external programs the pipeline runs.
struct Tools {
    cargo: PathBuf,
    rustc: PathBuf,
    llvm_dis: PathBuf,
    llvm_as: PathBuf,
    llc: PathBuf,
}

impl Tools {
    /// Finds every tool before starting, so a missing package is reported
    /// up front rather than after a long cargo build.
    fn locate() -> Result<Self, BuildError> {
        let path_var = std::env::var_os("PATH");
        let cargo = find_cargo(path_var.as_ref())?;
        // Use the rustc that comes with that cargo: the rustup rustc first in
        // PATH has no library source for build-std.
        let rustc = sibling_or_path(&cargo, "rustc", path_var.as_ref())
            .ok_or_else(|| missing("rustc", RUST_PACKAGES))?;
        let llvm = |name: &str| {
            find_on_path(name, path_var.as_ref()).ok_or_else(|| missing(name, LLVM_PACKAGE))
        };
        Ok(Tools {
            cargo,
            rustc,
            llvm_dis: llvm("llvm-dis-22")?,
            llvm_as: llvm("llvm-as-22")?,
            llc: llvm("llc-22")?,
        })
    }
}

fn missing(tool: &str, packages: &'static str) -> BuildError {
    BuildError::ToolMissing {
        tool: tool.to_string(),
        packages,
    }
}

/// Prints one line per finished step with its duration.
struct Progress {
    started: Instant,
    step: usize,
}

impl Progress {
    fn new() -> Self {
        Progress {
            started: Instant::now(),
            step: 0,
        }
    }

    fn done(&mut self, step_started: Instant, what: &str) {
        self.step += 1;
        eprintln!(
            "sbf-link [{}/{STEPS}] {what} ({:.2}s, total {:.2}s)",
            self.step,
            step_started.elapsed().as_secs_f64(),
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// Runs the whole pipeline and writes `options.out`.
pub fn build(options: &BuildOptions) -> Result<Summary, BuildError> {
    let tools = Tools::locate()?;
    check_rust_src(&tools.rustc)?;
    // Absolute, because cargo runs from the manifest's directory.
    let manifest_path = fs::canonicalize(&options.manifest_path)
        .map_err(|e| BuildError::io("find", &options.manifest_path, e))?;
    let manifest_dir = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    // A target dir of its own: never waits on (or invalidates) the host build.
    let target_dir = manifest_dir.join("target").join("sbf");
    let work_dir = target_dir.join("sbf-link");
    let crate_name = options.package.replace('-', "_");
    let mut progress = Progress::new();

    let t = Instant::now();
    run(
        cargo_command(&tools, &options.package, &manifest_path, &target_dir),
        "cargo rustc",
    )?;
    let deps = target_dir.join(TARGET).join("release").join("deps");
    let bitcode = freshest_object(&deps, &crate_name)?.ok_or_else(|| BuildError::NoObject {
        dir: deps.clone(),
        crate_name: crate_name.clone(),
    })?;
    check_bitcode(&bitcode)?;
    progress.done(t, &format!("cargo rustc → {}", bitcode.display()));

    create_dir(&work_dir)?;
    let file = |ext: &str| work_dir.join(format!("{crate_name}.{ext}"));
    let (ll, routed_ll, routed_bc, object) =
        (file("ll"), file("routed.ll"), file("routed.bc"), file("o"));

    let t = Instant::now();
    let mut dis = Command::new(&tools.llvm_dis);
    dis.arg(&bitcode).arg("-o").arg(&ll);
    run(dis, "llvm-dis-22")?;
    progress.done(t, &format!("llvm-dis-22 → {}", ll.display()));

    let t = Instant::now();
    let ir = fs::read_to_string(&ll).map_err(|e| BuildError::io("read", &ll, e))?;
    let (routed, count) = sbf_link::route_mem_intrinsics(&ir);
    fs::write(&routed_ll, routed).map_err(|e| BuildError::io("write", &routed_ll, e))?;
    progress.done(
        t,
        &format!(
            "routed {count} memory intrinsic calls to sol_mem*_ → {}",
            routed_ll.display()
        ),
    );

    let t = Instant::now();
    let mut assemble = Command::new(&tools.llvm_as);
    assemble.arg(&routed_ll).arg("-o").arg(&routed_bc);
    run(assemble, "llvm-as-22")?;
    progress.done(t, &format!("llvm-as-22 → {}", routed_bc.display()));

    let t = Instant::now();
    run(llc_command(&tools, &routed_bc, &object), "llc-22")?;
    progress.done(t, &format!("llc-22 → {}", object.display()));

    let t = Instant::now();
    let bytes = fs::read(&object).map_err(|e| BuildError::io("read", &object, e))?;
    let shared = sbf_link::relink(&bytes, &options.entry)?;
    if let Some(parent) = options.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent)?;
    }
    fs::write(&options.out, &shared.bytes).map_err(|e| BuildError::io("write", &options.out, e))?;
    progress.done(t, &format!("relink → {}", options.out.display()));
    Ok(shared.summary)
}

/// `cargo rustc` for the BPF target, run from the manifest's directory so
/// that the project's `.cargo/config.toml` applies.
fn cargo_command(tools: &Tools, package: &str, manifest_path: &Path, target_dir: &Path) -> Command {
    let mut cargo = Command::new(&tools.cargo);
    if let Some(manifest_dir) = manifest_path.parent() {
        cargo.current_dir(manifest_dir);
    }
    cargo
        .arg("rustc")
        .arg("--manifest-path")
        .arg(manifest_path)
        .args(["--package", package])
        .args(["--release", "--lib", "--crate-type", "staticlib"])
        .args(["--target", TARGET, "-Z", "build-std=core,alloc"])
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--", "--emit=obj"])
        // -Z build-std is unstable; Debian ships a stable toolchain.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTC", &tools.rustc);
    cargo
}

fn llc_command(tools: &Tools, input: &Path, output: &Path) -> Command {
    let mut llc = Command::new(&tools.llc);
    // -mcpu=v2: the instruction set SBPF v0 runs (no v3 32-bit jumps/atomics).
    // -bpf-stack-size=4096: SBF frames are 4 KiB, upstream's default is 512 B.
    // +allows-misaligned-mem-access: the SBF VM loads and stores at any
    // address (platform-tools' SBF target assumes so too), so an integer in
    // an alignment-1 account layout is one load, not eight byte loads and
    // shifts.
    llc.args([
        "-march=bpfel",
        "-mcpu=v2",
        "-mattr=+allows-misaligned-mem-access",
        "-bpf-stack-size=4096",
        "-filetype=obj",
    ])
    .arg(input)
    .arg("-o")
    .arg(output);
    llc
}

fn run(mut command: Command, name: &str) -> Result<(), BuildError> {
    let status = command.status().map_err(|source| BuildError::Spawn {
        command: name.to_string(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::CommandFailed {
            command: name.to_string(),
            status,
        })
    }
}

fn create_dir(dir: &Path) -> Result<(), BuildError> {
    fs::create_dir_all(dir).map_err(|e| BuildError::io("create directory", dir, e))
}

/// `-Z build-std` compiles core and alloc from the sysroot's library source.
fn check_rust_src(rustc: &Path) -> Result<(), BuildError> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|source| BuildError::Spawn {
            command: format!("{} --print sysroot", rustc.display()),
            source,
        })?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let library = sysroot.join("lib/rustlib/src/rust/library");
    if library.join("core").is_dir() {
        Ok(())
    } else {
        Err(BuildError::RustSrcMissing { path: library })
    }
}

fn find_cargo(path_var: Option<&OsString>) -> Result<PathBuf, BuildError> {
    let debian = Path::new(DEBIAN_CARGO);
    if is_executable(debian) {
        return Ok(debian.to_path_buf());
    }
    find_on_path("cargo", path_var).ok_or_else(|| missing("cargo", RUST_PACKAGES))
}

/// `name` next to `tool` if present, else on PATH.
fn sibling_or_path(tool: &Path, name: &str, path_var: Option<&OsString>) -> Option<PathBuf> {
    let sibling = tool.with_file_name(name);
    if is_executable(&sibling) {
        Some(sibling)
    } else {
        find_on_path(name, path_var)
    }
}

/// First executable called `name` in the directories of `path_var`.
fn find_on_path(name: &str, path_var: Option<&OsString>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The most recently written `deps/<crate_name>-<hash>.o`: cargo leaves the
/// objects of earlier builds (other hashes) beside the current one.
fn freshest_object(deps: &Path, crate_name: &str) -> Result<Option<PathBuf>, BuildError> {
    let entries = fs::read_dir(deps).map_err(|e| BuildError::io("list", deps, e))?;
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for entry in entries {
        let entry = entry.map_err(|e| BuildError::io("list", deps, e))?;
        let name = entry.file_name();
        if !is_crate_object(&name.to_string_lossy(), crate_name) {
            continue;
        }
        let path = entry.path();
        let modified = entry
            .metadata()
            .and_then(|m| m.modified())
            .map_err(|e| BuildError::io("stat", &path, e))?;
        if best.as_ref().is_none_or(|(newest, _)| modified > *newest) {
            best = Some((modified, path));
        }
    }
    Ok(best.map(|(_, path)| path))
}

/// `<crate_name>-<hex hash>.o` (not `<crate_name>_other-<hash>.o`).
fn is_crate_object(file_name: &str, crate_name: &str) -> bool {
    file_name
        .strip_prefix(crate_name)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix(".o"))
        .is_some_and(|hash| !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Raw bitcode starts with `BC 0xC0DE`; the wrapper format with 0x0B17C0DE.
fn check_bitcode(path: &Path) -> Result<(), BuildError> {
    let bytes = fs::read(path).map_err(|e| BuildError::io("read", path, e))?;
    if bytes.starts_with(b"BC\xC0\xDE") || bytes.starts_with(&[0xDE, 0xC0, 0x17, 0x0B]) {
        Ok(())
    } else {
        Err(BuildError::NotBitcode {
            path: path.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sbf-link-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn crate_object_names() {
        assert!(is_crate_object(
            "loanbridge_program-aeb5b3749a532560.o",
            "loanbridge_program"
        ));
        assert!(!is_crate_object(
            "loanbridge_program-aeb5b3749a532560.d",
            "loanbridge_program"
        ));
        assert!(!is_crate_object(
            "loanbridge_program_x-aeb5b3749a532560.o",
            "loanbridge_program"
        ));
        assert!(!is_crate_object(
            "libloanbridge_program-aeb5b3749a532560.a",
            "loanbridge_program"
        ));
        assert!(!is_crate_object(
            "loanbridge_program-.o",
            "loanbridge_program"
        ));
    }

    #[test]
    fn picks_the_most_recent_object() {
        let dir = scratch_dir("freshest");
        let old = dir.join("demo-0000000000000001.o");
        let new = dir.join("demo-0000000000000002.o");
        fs::write(&new, b"new").unwrap();
        fs::write(&old, b"old").unwrap();
        fs::write(dir.join("demo_other-0000000000000003.o"), b"other").unwrap();
        let past = SystemTime::now() - std::time::Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(past)
            .unwrap();
        assert_eq!(freshest_object(&dir, "demo").unwrap(), Some(new));
        assert_eq!(freshest_object(&dir, "absent").unwrap(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_tool_message_names_the_debian_package() {
        let empty = OsString::from("/nonexistent-dir");
        assert_eq!(find_on_path("llc-22", Some(&empty)), None);
        let err = missing("llc-22", LLVM_PACKAGE);
        assert_eq!(
            err.to_string(),
            "`llc-22` not found on PATH: install the Debian package(s) llvm-22 (apt-get install -y llvm-22)"
        );
    }

    #[test]
    fn finds_tools_on_path() {
        let dir = scratch_dir("path");
        let tool = dir.join("fake-tool");
        fs::write(&tool, b"#!/bin/sh\n").unwrap();
        assert_eq!(
            find_on_path("fake-tool", Some(&dir.clone().into_os_string())),
            None,
            "not executable"
        );
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).unwrap();
        let path_var = std::env::join_paths([Path::new("/nonexistent-dir"), &dir]).unwrap();
        assert_eq!(
            find_on_path("fake-tool", Some(&path_var)),
            Some(tool.clone())
        );
        assert_eq!(sibling_or_path(&tool, "fake-tool", None), Some(tool));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rejects_elf_where_bitcode_is_expected() {
        let dir = scratch_dir("bitcode");
        let elf = dir.join("x.o");
        fs::write(&elf, b"\x7fELF\x02\x01\x01").unwrap();
        assert!(matches!(
            check_bitcode(&elf),
            Err(BuildError::NotBitcode { .. })
        ));
        let bc = dir.join("y.o");
        fs::write(&bc, b"BC\xC0\xDE\x35\x14").unwrap();
        assert!(check_bitcode(&bc).is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }
}
