#!/usr/bin/env bash
# Installs everything loanbridge needs on a fresh Debian machine, then builds
# the contracts and the Solana program. Safe to run again: each step checks
# first and skips what is already there.
#
# Sources: Debian packages (apt, when run as root), the npm registry (Node 22
# itself comes from npm as the `node` devDependency) and crates.io (cargo).
# Nothing is downloaded from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------
# rustc-web/cargo-web/rust-web-src: Rust 1.96 with its library source, which
# `-Z build-std` needs to build core/alloc for bpfel-unknown-none.
# llvm-22: llvm-dis/llvm-as/llc matching rustc-web's LLVM, for the SBF pipeline.
# rustfmt-web/rust-web-clippy: `cargo fmt` and `cargo clippy` for that toolchain.
# postgresql: PostgreSQL 15 binaries for the relayer store's tests (scripts/postgres.sh).
# prometheus: prometheus + promtool for the monitoring tests (rules and dashboards).
# chromium: the browser the explorer page's test drives (playwright-core, no browser download).
debian_packages=(rustc-web cargo-web rust-web-src rustfmt-web rust-web-clippy llvm-22 postgresql prometheus chromium)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    die "missing Debian packages: ${missing[*]}. Run as root, or: sudo apt-get install -y ${missing[*]}"
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Node 22 and npm dependencies --------------------------------------------
command -v npm >/dev/null || die "npm not found: install Debian's nodejs/npm (any Node >= 18 can bootstrap Node 22)"
lock_stamp=node_modules/.package-lock.json
if [[ ! -x node_modules/.bin/node || ! -f $lock_stamp || package-lock.json -nt $lock_stamp ]]; then
  system_node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((system_node_major < 22)); then
    # npm under an older Node skips optional packages that require Node 22,
    # such as Hardhat's EDR binary, so this pass only brings Node 22 itself
    # (the `node` devDependency) to run the real install with.
    step "bootstrapping Node 22 from npm (system Node is ${system_node_major})"
    npm ci --no-fund --no-audit --loglevel=error
  fi
  step "installing npm dependencies under Node 22 (npm ci)"
  PATH="$root/node_modules/.bin:$PATH" npm ci --no-fund --no-audit
fi
export PATH="$root/node_modules/.bin:$PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 22)) || die "node_modules/.bin/node is Node $node_major, expected 22"

# --- builds ------------------------------------------------------------------
step "compiling Solidity contracts (Hardhat 3, solc-js $(node -p 'require("solc/package.json").version'))"
(cd evm-contracts && hardhat build --quiet)

step "building the Solana program to SBF (offline pipeline: sbf-link)"
# Debian's cargo first: rustup's toolchain, if any, has no rust-src for build-std.
PATH="/usr/bin:$PATH" cargo run --quiet --manifest-path solana-program/Cargo.toml -p sbf-link -- \
  build --manifest-path solana-program/Cargo.toml --package loanbridge-program \
  --out solana-program/build/loanbridge_program.so

step "building the explorer page (relayer/explorer/dist)"
node relayer/explorer/build.ts

step "setup complete"
