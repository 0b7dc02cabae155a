#!/usr/bin/env bash
# `make test-ts`: the vitest projects in two processes at once, since one
# vitest run gives all its one-file-at-a-time projects a single worker:
# `unit` then `chain` (CPU-bound: Hardhat's network, LiteSVM) here, and `e2e`
# (a localnet per file, mostly waiting on finality and takeover windows)
# beside it, its output shown when it ends. Ends with one summary line over
# both, the line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
vitest run --project e2e >"$logs/e2e" 2>&1 &
e2e_pid=$!
echo "the e2e project runs beside unit and chain; its output follows theirs"
vitest run --project unit --project chain 2>&1 | tee "$logs/main"
main_status=${PIPESTATUS[0]}
wait "$e2e_pid"
e2e_status=$?
cat "$logs/e2e"
grep -hE '^vitest: ' "$logs/main" "$logs/e2e" |
  awk '{ p += $2; f += $4; s += $6 } END { printf "vitest: %d passed, %d failed, %d skipped\n", p, f, s }'
if [ "$main_status" -ne 0 ] || [ "$e2e_status" -ne 0 ]; then exit 1; fi
