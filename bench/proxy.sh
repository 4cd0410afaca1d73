#!/usr/bin/env bash
# bench/proxy.sh: what the validating proxy costs. In one run, on loopback,
# `presencekit load` sends the same open-loop mix at a fixed rate straight to
# the mock and then through `presencekit proxy` in front of it (report mode,
# every request and answer validated), ROUNDS times alternating. Prints the
# p99 latency (corrected for coordinated omission) of each run, the proxy's
# added p99, and the proxy's CPU time per request read from /proc/PID/stat;
# then (unless BENCH=0) BenchmarkProxyOnly's CPU per exchange in process,
# without sockets: the proxy's own work, target <= 50 µs in both modes.
# Project target: the proxy adds <= 0.2 ms p99 at 2,000 req/s. Every
# process is bounded by `timeout`.
#
#   bench/proxy.sh                         # 2000 req/s, 10 s per run, 2 rounds
#   RATE=1000 DURATION=20 ROUNDS=3 BENCH=0 bench/proxy.sh
#
# Needs go and Linux /proc.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-2000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-2}
USERS=${USERS:-10000}
BENCH=${BENCH:-1}
WORK=$(mktemp -d)
trap 'kill ${MOCK_PID:-} ${PROXY_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/presencekit" ./cmd/presencekit
PK="$WORK/presencekit"
LIFE=$(((DURATION + 30) * ROUNDS * 2 + 60))

# waitaddr FILE: the address a server printed on its first line.
waitaddr() {
	for _ in $(seq 100); do [[ -s "$1" ]] && break; sleep 0.1; done
	head -1 "$1" | grep -o 'http://[0-9.:]*' | head -1 | sed 's#http://##'
}
timeout "$LIFE" "$PK" mock --listen 127.0.0.1:0 --token bench --log-level error >"$WORK/mock.addr" 2>/dev/null &
MOCK_PID=$!
MOCK=$(waitaddr "$WORK/mock.addr")
timeout "$LIFE" "$PK" proxy --listen 127.0.0.1:0 --target "http://$MOCK" --log "$WORK/violations.jsonl" >"$WORK/proxy.addr" 2>&1 &
PROXY_PID=$!
PROXY=$(waitaddr "$WORK/proxy.addr")
PROXY_PROC=$(pgrep -P "$PROXY_PID" | head -1) # the proxy itself, under timeout

# usec DURATION: a Go-style duration (850µs, 1.2ms, 2s) in microseconds.
usec() {
	awk -v d="$1" 'BEGIN {
		if (d ~ /µs$/) { sub(/µs$/, "", d); print d + 0 }
		else if (d ~ /ms$/) { sub(/ms$/, "", d); print d * 1000 }
		else if (d ~ /ns$/) { sub(/ns$/, "", d); print d / 1000 }
		else if (d ~ /s$/) { sub(/s$/, "", d); print d * 1000000 }
		else print "nan" }'
}
# load ADDR: the p99 (µs) and the request count of the "all" line.
load() {
	timeout $((DURATION + 60)) "$PK" load --target "http://$1" --token bench --rate "$RATE" \
		--duration "${DURATION}s" --users "$USERS" --setup-subs 2 >"$WORK/load.out" 2>&1 || true
	local line
	line=$(grep -E '^ +all ' "$WORK/load.out" | tail -1)
	[[ -n "$line" ]] || { echo "proxy.sh: load failed:" >&2; tail -5 "$WORK/load.out" >&2; exit 1; }
	echo "$(usec "$(awk '{print $7}' <<<"$line")") $(awk '{print $2}' <<<"$line") $(awk '{print $4}' <<<"$line")"
}
# ticks PID: user+system CPU clock ticks of a process.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# proxied: requests the proxy has seen so far.
proxied() { curl -s "http://$PROXY/_proxy/report" | awk -F'[:,]' '/"requests"/ {gsub(/ /, "", $2); print $2; exit}'; }

HZ=$(getconf CLK_TCK)
echo "presencekit load --rate $RATE --duration ${DURATION}s on loopback, $(nproc) cores; mock http://$MOCK, proxy http://$PROXY"
printf '%-6s %14s %14s %12s %10s %16s\n' round "direct p99" "proxied p99" "added p99" "errors" "proxy CPU/req"
for r in $(seq "$ROUNDS"); do
	read -r dp99 dn derr < <(load "$MOCK")
	t0=$(ticks "$PROXY_PROC"); n0=$(proxied)
	read -r pp99 pn perr < <(load "$PROXY")
	t1=$(ticks "$PROXY_PROC"); n1=$(proxied)
	cpu=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n=$((n1 - n0)) 'BEGIN { if (n > 0) printf "%.1f µs", t / hz / n * 1e6; else print "n/a" }')
	printf '%-6s %11.0f µs %11.0f µs %9.0f µs %10s %16s\n' "$r" "$dp99" "$pp99" "$(awk -v a="$pp99" -v b="$dp99" 'BEGIN{print a-b}')" "$derr/$perr" "$cpu"
done
curl -s "http://$PROXY/_proxy/report" >"$WORK/report.json"
echo "proxy saw: $(awk -F'[:,]' '/"requests"|_violations"|"unchecked|"upstream_errors"/ {gsub(/[ "]/, ""); printf "%s=%s ", $1, $2}' "$WORK/report.json")"
echo "violation log lines: $(wc -l <"$WORK/violations.jsonl")"
if [[ $BENCH == 1 ]]; then
	kill "$MOCK_PID" "$PROXY_PID" 2>/dev/null || true # stopped before measuring
	wait "$MOCK_PID" "$PROXY_PID" 2>/dev/null || true
	echo "in process, no sockets (go test -run '^\$' -bench BenchmarkProxyOnly -benchmem -count 3 ./proxy/; cpu-ns/op is the process's CPU per exchange;"
	echo "GOGC as set, else Go's default 100; the command itself runs at 400 unless GOGC is set):"
	timeout 300 go test -run '^$' -bench BenchmarkProxyOnly -benchmem -count 3 ./proxy/ | grep '^Benchmark'
fi
