# README's two commands are `make demo` and `make test`; both set the machine
# up first (scripts/setup.sh is idempotent and quick once everything is there).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# Node 22 from node_modules first; Debian's Rust before rustup's (build-std
# needs Debian's rust-src).
export PATH := $(CURDIR)/node_modules/.bin:/usr/bin:$(PATH)
CARGO_MANIFEST := solana-program/Cargo.toml

.PHONY: demo test setup lint test-rust test-ts format

demo: setup
	node scripts/demo.ts

test: setup lint test-rust test-ts

setup:
	bash scripts/setup.sh

lint:
	biome check .
	tsc -p tsconfig.json
	cargo fmt --manifest-path $(CARGO_MANIFEST) --all --check
	cargo clippy --quiet --manifest-path $(CARGO_MANIFEST) --workspace --all-targets -- -D warnings

test-rust:
	cargo test --manifest-path $(CARGO_MANIFEST) --workspace

test-ts:
	vitest run

format:
	biome check --write .
	cargo fmt --manifest-path $(CARGO_MANIFEST) --all
