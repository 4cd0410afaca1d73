#!/usr/bin/env bash
# bench/verify.sh: the CPU cost of `load --verify`. One mock process (the
# target, a separate process so its CPU is not counted), then the same
# closed-loop run of `presencekit load` without and with --verify, same
# seed, users and duration. Prints CPU seconds (user+sys of the load
# process) per 1,000 requests and the ratio; the project's target is
# --verify <= 1.3x without.
#
#   bench/verify.sh                       # 32 workers, 10 s per run, 1000 users
#   CONC=64 DURATION=20 USERS=10000 bench/verify.sh
#   SAMPLE=0.1 bench/verify.sh            # --verify --verify-sample 0.1
#
# Needs: go, jq, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

CONC=${CONC:-32}
DURATION=${DURATION:-10}
USERS=${USERS:-1000}
SAMPLE=${SAMPLE:-1}
PORT=${PORT:-18761}
WORK=$(mktemp -d)
trap 'kill "${MOCK_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/presencekit" ./cmd/presencekit
# The mock lives at most as long as the whole benchmark can take.
timeout $((DURATION * 4 + 60)) "$WORK/presencekit" mock --listen "127.0.0.1:$PORT" --log-level error >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "target 127.0.0.1:$PORT (presencekit mock), $CONC workers, ${DURATION}s per run, $USERS users, --verify-sample $SAMPLE, $(nproc) cores"

declare -A CPU REQS
for mode in plain verify; do
	flags=()
	# Each run its own users, so the verified one starts from a fresh state.
	prefix="bench${mode}_"
	[[ $mode == verify ]] && flags=(--verify --verify-sample "$SAMPLE")
	/usr/bin/time -f "%U %S" -o "$WORK/time" timeout $((DURATION + 60)) "$WORK/presencekit" load \
		--target "http://127.0.0.1:$PORT" --token "${TOKEN:-presencekit-mock-token}" --concurrency "$CONC" \
		--duration "${DURATION}s" --users "$USERS" --user-prefix "$prefix" --out "$WORK/$mode.json" \
		"${flags[@]}" >"$WORK/$mode.out" 2>"$WORK/$mode.err" || { cat "$WORK/$mode.err" >&2; exit 1; }
	CPU[$mode]=$(awk '{printf "%.3f", $1 + $2}' "$WORK/time")
	# Setup requests count too: the CPU covers them.
	REQS[$mode]=$(jq '.sent + ([.setup.ops[]?.count] | add // 0)' "$WORK/$mode.json")
done
jq -r '"verify: \(.verification.checked | add) answers checked, \([.verification.violations[]?[]] | add // 0) violations"' "$WORK/verify.json"

printf '\n%-8s %10s %10s %10s %16s\n' run requests "req/s" "cpu s" "cpu µs/req"
for mode in plain verify; do
	awk -v t="$mode" -v c="${CPU[$mode]}" -v n="${REQS[$mode]}" -v d="$DURATION" 'BEGIN {
		printf "%-8s %10d %10.0f %10.2f %16.2f\n", t, n, n / d, c, c * 1e6 / n }'
done
awk -v a="${CPU[plain]}" -v n="${REQS[plain]}" -v b="${CPU[verify]}" -v m="${REQS[verify]}" 'BEGIN {
	printf "\nCPU per request, --verify / without: %.2f (target <= 1.3)\n", (b / m) / (a / n) }'
