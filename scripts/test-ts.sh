#!/usr/bin/env bash
# `make test-ts`: the vitest projects in three processes at once, since one
# vitest run on two cores has a single worker and runs its files one at a
# time: `unit` then `chain` (CPU-bound: PGlite, Hardhat's network, LiteSVM)
# in one, and the `e2e` project's files (a localnet each, mostly waiting on
# finality and takeover windows) in two more, split by their CI durations
# into lanes of about twelve minutes each. (Three e2e lanes were tried: three
# localnets beside the CPU-bound process starved it, 22 minutes in all
# against 19 with two.) The second lane also takes every e2e file the first
# does not name, so a new one runs. The unit and chain output is shown as it
# runs, each lane's once it ends. Ends with one summary line over all three,
# the line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Durations in seconds in a clean-clone CI run (session 10, 17 minutes in
# all, unit+chain 751 s): installments 247, crash-points 220, faults 122,
# explorer 73, relayed-loan 59.
lane_a=(test/e2e/installments.chain-test.ts test/chaos/crash-points.chain-test.ts
  test/e2e/faults.chain-test.ts test/e2e/explorer.chain-test.ts
  test/e2e/relayed-loan.chain-test.ts)
# The rest: takeover 238, journeys 161, hidden-packets 124, chain-outage 116,
# rpc-faults 86.
lane_b=()
while IFS= read -r file; do
  case " ${lane_a[*]} " in
    *" $file "*) ;;
    *) lane_b+=("$file") ;;
  esac
done < <(find test/e2e test/chaos -name '*.chain-test.ts' | sort)
# With no file named, vitest would run the whole project in this lane too.
if [ "${#lane_b[@]}" -eq 0 ]; then
  echo "test-ts.sh: the second e2e lane has no file; move one into it" >&2
  exit 1
fi

# Each process ends at this limit, over twice its usual time, so a run stuck past
# every test timeout fails with the watchdog's lines (scripts/vitest-watchdog.ts)
# instead of running into CI's own limit with nothing said; `timeout` signals
# the whole process group, workers too.
limit=${TEST_TS_LIMIT:-30m}
run_vitest() {
  local name=$1
  shift
  timeout --kill-after=30s "$limit" vitest run "$@" >"$logs/$name" 2>&1
  local status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "test-ts.sh: $name did not end within $limit and was stopped" >>"$logs/$name"
  fi
  return "$status"
}

names=(e2e-a e2e-b)
run_vitest e2e-a --project e2e "${lane_a[@]}" &
pids=($!)
run_vitest e2e-b --project e2e "${lane_b[@]}" &
pids+=($!)
echo "the e2e project (two lanes) runs beside unit and chain; its output follows theirs"
# Shown as it is written, and not through a pipe: a process a test left
# running would hold a pipe open, and the reader with it, past vitest's end.
touch "$logs/main"
run_vitest main --project unit --project chain &
main=$!
tail -n +1 -f --pid="$main" "$logs/main"
failed=0
wait "$main" || failed=1
for i in "${!names[@]}"; do
  wait "${pids[$i]}" || failed=1
  cat "$logs/${names[$i]}"
done
grep -hE '^vitest: ' "$logs/main" "${names[@]/#/$logs/}" |
  awk '{ p += $2; f += $4; s += $6 } END { printf "vitest: %d passed, %d failed, %d skipped\n", p, f, s }'
if [ "$failed" -ne 0 ]; then exit 1; fi
