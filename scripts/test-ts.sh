#!/usr/bin/env bash
# `make test-ts`: the vitest projects in three processes at once, since one
# vitest run gives all its one-file-at-a-time projects a single worker:
# `unit` then `chain` (CPU-bound: Hardhat's network, LiteSVM) here, and the
# `e2e` project's files (a localnet each, mostly waiting on finality and
# takeover windows) in two more beside it, test/e2e and test/chaos, whose
# output is shown as each ends. Ends with one summary line over all three,
# the line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
vitest run --project e2e test/e2e >"$logs/e2e" 2>&1 &
e2e_pid=$!
vitest run --project e2e test/chaos >"$logs/chaos" 2>&1 &
chaos_pid=$!
echo "the e2e project runs beside unit and chain (test/e2e and test/chaos); its output follows theirs"
vitest run --project unit --project chain 2>&1 | tee "$logs/main"
main_status=${PIPESTATUS[0]}
wait "$e2e_pid"
e2e_status=$?
cat "$logs/e2e"
wait "$chaos_pid"
chaos_status=$?
cat "$logs/chaos"
grep -hE '^vitest: ' "$logs/main" "$logs/e2e" "$logs/chaos" |
  awk '{ p += $2; f += $4; s += $6 } END { printf "vitest: %d passed, %d failed, %d skipped\n", p, f, s }'
if [ "$main_status" -ne 0 ] || [ "$e2e_status" -ne 0 ] || [ "$chaos_status" -ne 0 ]; then exit 1; fi
