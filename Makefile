# README's two commands are `make demo` and `make test`; both set the machine
# up first (scripts/setup.sh is idempotent and quick once everything is there).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# Node 22 from node_modules first; Debian's Rust before rustup's (build-std
# needs Debian's rust-src).
export PATH := $(CURDIR)/node_modules/.bin:/usr/bin:$(PATH)
CARGO_MANIFEST := solana-program/Cargo.toml
# Debian's rustfmt and clippy by path: cargo would run rustup's proxies from
# ~/.cargo/bin first, which may be another toolchain or missing.
RUST_CRATE_ROOTS := solana-program/src/lib.rs solana-program/sbf-link/src/lib.rs solana-program/sbf-link/src/main.rs \
	$(wildcard solana-program/tests/*.rs solana-program/sbf-link/tests/*.rs)

.PHONY: demo test setup lint test-rust test-ts format vectors idl gas-report bench soak chaos screenshots

demo: setup
	node scripts/demo.ts

test: setup lint test-rust test-ts

setup:
	bash scripts/setup.sh

lint:
	eslint --max-warnings 0 .
	prettier --check .
	tsc -p tsconfig.json
	tsc -p relayer/explorer/tsconfig.json
	rustfmt --edition 2021 --check $(RUST_CRATE_ROOTS)
	/usr/bin/cargo-clippy clippy --quiet --manifest-path $(CARGO_MANIFEST) --workspace --all-targets -- -D warnings

test-rust:
	cargo test --manifest-path $(CARGO_MANIFEST) --workspace

test-ts:
	bash scripts/test-ts.sh

format:
	prettier --write .
	rustfmt --edition 2021 $(RUST_CRATE_ROOTS)

# Regenerate shared/vectors/*.json after a deliberate wire-format change.
vectors:
	node shared/scripts/generate-vectors.ts

# Regenerate solana-program/idl/loanbridge.json from the program's interface
# table (src/idl.rs, src/error.rs) after a deliberate interface change.
idl:
	LOANBRIDGE_WRITE_IDL=1 cargo test --quiet --manifest-path $(CARGO_MANIFEST) --test idl

# Re-measure EVM gas into evm-contracts/gas-report.md (a test keeps it current).
gas-report:
	node evm-contracts/scripts/gas-report.ts

# LOANS loans per direction at once (ETH -> Solana and SOL -> EVM) through the
# whole system: throughput, packets/s per stage, finalized -> submitted and
# -> confirmed latency, memory, takeovers and double sends (KILL_RELAYER_0=1:
# relayer-0 is killed midway; DELIVER_CONCURRENCY, STORE_THREAD_NICENESS: each
# relayer's pipeline.deliverConcurrency and store.threadNiceness).
bench: setup
	node scripts/bench-loans.ts $(or $(LOANS),20) $(if $(KILL_RELAYER_0),--kill-relayer-0) $(if $(DELIVER_CONCURRENCY),--deliver-concurrency $(DELIVER_CONCURRENCY)) $(if $(STORE_THREAD_NICENESS),--store-thread-niceness $(STORE_THREAD_NICENESS))

# Steady load for MINUTES (default 30); fails if a relayer's memory grows more
# than 10% after the warm-up. Not part of `make test`.
soak: setup
	node scripts/soak.ts $(or $(MINUTES),30)

# The fault-injection suite, every case on both chains: a relayer whose first
# RPC URL lies or fails (test/chaos); `make test` runs one case of each kind.
chaos: setup
	LOANBRIDGE_CHAOS=full vitest run --project chain --project e2e --project chaos test/faults test/chaos

# The explorer page's pictures in the README (docs/explorer-loans.png,
# docs/explorer-loan.png): its browser test on a localnet, saving them there.
screenshots: setup
	LOANBRIDGE_SCREENSHOTS=$(CURDIR)/docs vitest run --project e2e test/e2e/explorer.chain-test.ts
