#!/usr/bin/env bash
# bench/loadgen.sh: CPU per request of presencekit load against wrk, hey and
# vegeta. One target (internal/benchtarget, a bare net/http server) in one
# run, on loopback, the same connections and duration for every tool, each
# tool bounded by `timeout`. Prints CPU seconds (user+sys) per 1,000
# requests and the ratio to presencekit's. wrk runs twice: with one thread
# per core (wrk) and with one thread (wrk-t1), its cheapest setting: one
# event loop, no thread of its own to wake per core.
#
#   bench/loadgen.sh                 # 32 connections, 10 s per tool
#   CONNS=64 DURATION=20 bench/loadgen.sh
#   PRESENCEKIT=/path/to/presencekit bench/loadgen.sh
#
# Needs: go; wrk and hey (apt-get install wrk hey); vegeta
# (go install github.com/tsenart/vegeta/v12@latest). Missing tools are
# skipped with a note. Targets (the project's): presencekit <= 1.5x wrk's CPU per
# request and <= 0.5x hey's and vegeta's.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-32}
DURATION=${DURATION:-10}
WORK=$(mktemp -d)
trap 'kill "${TARGET_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/benchtarget" ./internal/benchtarget/cmd/benchtarget
if [[ -z "${PRESENCEKIT:-}" ]]; then
	go build -o "$WORK/presencekit" ./cmd/presencekit
	PRESENCEKIT="$WORK/presencekit"
fi
if ! "$PRESENCEKIT" load --help >/dev/null 2>&1; then
	echo "loadgen.sh: $PRESENCEKIT has no 'load' command (is it registered in the root?)" >&2
	exit 2
fi
VEGETA=${VEGETA:-$(command -v vegeta || echo "$(go env GOPATH)/bin/vegeta")}

# The target lives at most as long as the whole benchmark can take.
"$WORK/benchtarget" -addr 127.0.0.1:0 -for $((DURATION * 6 + 60))s >"$WORK/addr" &
TARGET_PID=$!
for _ in $(seq 50); do [[ -s "$WORK/addr" ]] && break; sleep 0.1; done
ADDR=$(cat "$WORK/addr")
URL="http://$ADDR/org/app/users/pkload_1/presence"
BODY='{"usernames":["pkload_2","pkload_3","pkload_4","pkload_5","pkload_6"]}'
echo "$BODY" >"$WORK/body.json"
echo "target http://$ADDR, $CONNS connections, ${DURATION}s per tool, $(nproc) cores"

# cpu CMD...: runs CMD under GNU time and prints "user+sys" seconds.
cpu() {
	/usr/bin/time -f "%U %S" -o "$WORK/time" timeout $((DURATION + 30)) "$@" >"$WORK/out" 2>"$WORK/err" || true
	awk '{printf "%.3f", $1 + $2}' "$WORK/time"
}

declare -A CPU REQS
run_presencekit() {
	CPU[presencekit]=$(cpu "$PRESENCEKIT" load --target "http://$ADDR" --token bench --concurrency "$CONNS" \
		--connections "$CONNS" --duration "${DURATION}s" --setup-subs 0 --mix get=1 --batch 5 \
		--out "$WORK/pk.json")
	REQS[presencekit]=$(jq .sent "$WORK/pk.json")
}
run_wrk() {
	command -v wrk >/dev/null || { echo "skip wrk: not installed (apt-get install wrk)"; return; }
	cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
LUA
	CPU[wrk]=$(cpu wrk -t "$(nproc)" -c "$CONNS" -d "${DURATION}s" -s "$WORK/post.lua" "$URL")
	REQS[wrk]=$(awk '/requests in/ {print $1}' "$WORK/out")
	CPU[wrk-t1]=$(cpu wrk -t 1 -c "$CONNS" -d "${DURATION}s" -s "$WORK/post.lua" "$URL")
	REQS[wrk-t1]=$(awk '/requests in/ {print $1}' "$WORK/out")
}
run_hey() {
	command -v hey >/dev/null || { echo "skip hey: not installed (apt-get install hey)"; return; }
	CPU[hey]=$(cpu hey -z "${DURATION}s" -c "$CONNS" -m POST -T application/json \
		-H "Authorization: Bearer bench" -D "$WORK/body.json" "$URL")
	REQS[hey]=$(awk '/\[200\]/ {print $2}' "$WORK/out")
}
run_vegeta() {
	[[ -x "$VEGETA" ]] || { echo "skip vegeta: not installed (go install github.com/tsenart/vegeta/v12@latest)"; return; }
	printf 'POST %s\nContent-Type: application/json\nAuthorization: Bearer bench\n@%s\n' "$URL" "$WORK/body.json" >"$WORK/targets"
	CPU[vegeta]=$(cpu "$VEGETA" attack -targets "$WORK/targets" -rate 0 -max-workers "$CONNS" -workers "$CONNS" \
		-connections "$CONNS" -duration "${DURATION}s" -output "$WORK/vegeta.bin")
	REQS[vegeta]=$("$VEGETA" report -type json "$WORK/vegeta.bin" | jq .requests)
}

run_presencekit
run_wrk
run_hey
run_vegeta

base=$(awk -v c="${CPU[presencekit]}" -v n="${REQS[presencekit]}" 'BEGIN {printf "%.6f", c * 1000 / n}')
printf '\n%-12s %10s %10s %10s %16s %20s\n' tool requests "req/s" "cpu s" "cpu s/1k req" "ratio to presencekit"
for t in presencekit wrk wrk-t1 hey vegeta; do
	[[ -n "${CPU[$t]:-}" && -n "${REQS[$t]:-}" && "${REQS[$t]}" != 0 ]] || continue
	awk -v t="$t" -v c="${CPU[$t]}" -v n="${REQS[$t]}" -v d="$DURATION" -v b="$base" 'BEGIN {
		per = c * 1000 / n
		printf "%-12s %10d %10.0f %10.2f %16.4f %20.2f\n", t, n, n / d, c, per, per / b }'
done
echo
for t in wrk wrk-t1; do
	[[ -n "${CPU[$t]:-}" && -n "${REQS[$t]:-}" && "${REQS[$t]}" != 0 ]] || continue
	awk -v t="$t" -v c="${CPU[$t]}" -v n="${REQS[$t]}" -v b="$base" 'BEGIN {
		printf "presencekit / %s CPU per request: %.2f× (%.1f µs vs %.1f µs)\n", t, b / (c * 1000 / n), b * 1000, c * 1e6 / n }'
done
echo "targets: presencekit/wrk <= 1.5 (wrk's ratio >= 0.67), presencekit/hey and /vegeta <= 0.5 (their ratios >= 2);"
echo "wrk-t1's ratio is the floor: what presencekit pays per request beyond the cheapest generator"
