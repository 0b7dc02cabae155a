#!/usr/bin/env bash
# `make test-ts`: the vitest projects in four processes at once, since one
# vitest run on two cores has a single worker and runs its files one at a
# time: `unit` then `chain` (CPU-bound: PGlite, Hardhat's network, LiteSVM)
# in one, and the `e2e` project's files (a localnet each, mostly waiting on
# finality and takeover windows) in three more, split by their last CI
# durations into lanes of about seven minutes each. (Splitting unit and
# chain too would ask for more CPU than two cores have while three
# localnets run, and stretch the e2e timings.) The third lane also takes
# every e2e file the first two do not name, so a new one runs. The unit and
# chain output is shown as it runs, each lane's once it ends. Ends with one
# summary line over all four, the line CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Last CI durations in seconds: installments 226, faults 122, explorer 67.
lane_a=(test/e2e/installments.chain-test.ts test/e2e/faults.chain-test.ts
  test/e2e/explorer.chain-test.ts)
# crash-points 203, chain-outage 127, hidden-packets 86.
lane_b=(test/chaos/crash-points.chain-test.ts test/chaos/chain-outage.chain-test.ts
  test/e2e/hidden-packets.chain-test.ts)
# The rest: journeys 154, takeover 145, rpc-faults 92, relayed-loan 49.
lane_c=()
while IFS= read -r file; do
  case " ${lane_a[*]} ${lane_b[*]} " in
    *" $file "*) ;;
    *) lane_c+=("$file") ;;
  esac
done < <(find test/e2e test/chaos -name '*.chain-test.ts' | sort)
# With no file named, vitest would run the whole project in this lane too.
if [ "${#lane_c[@]}" -eq 0 ]; then
  echo "test-ts.sh: the third e2e lane has no file; move one into it" >&2
  exit 1
fi

names=(e2e-a e2e-b e2e-c)
vitest run --project e2e "${lane_a[@]}" >"$logs/e2e-a" 2>&1 &
pids=($!)
vitest run --project e2e "${lane_b[@]}" >"$logs/e2e-b" 2>&1 &
pids+=($!)
vitest run --project e2e "${lane_c[@]}" >"$logs/e2e-c" 2>&1 &
pids+=($!)
echo "the e2e project (three lanes) runs beside unit and chain; its output follows theirs"
vitest run --project unit --project chain 2>&1 | tee "$logs/main"
failed=${PIPESTATUS[0]}
for i in "${!names[@]}"; do
  wait "${pids[$i]}" || failed=1
  cat "$logs/${names[$i]}"
done
grep -hE '^vitest: ' "$logs/main" "${names[@]/#/$logs/}" |
  awk '{ p += $2; f += $4; s += $6 } END { printf "vitest: %d passed, %d failed, %d skipped\n", p, f, s }'
if [ "$failed" -ne 0 ]; then exit 1; fi
