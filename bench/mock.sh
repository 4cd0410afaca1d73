#!/usr/bin/env bash
# bench/mock.sh: requests/s of the mock against a bare net/http handler
# (internal/benchtarget), driven by wrk on loopback with the same
# connections, threads and duration, for two presence requests: a batch get
# of 10 users and a set status. Prints both rates and the ratio mock/bare
# (project target: >= 0.6). Every run is bounded by `timeout`.
#
#   bench/mock.sh                          # 32 connections, 10 s per run
#   CONNS=64 DURATION=20 THREADS=1 bench/mock.sh
#
# Needs go and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-32}
DURATION=${DURATION:-10}
THREADS=${THREADS:-1} # wrk threads; the rest of the 2 cores serve
command -v wrk >/dev/null || { echo "mock.sh: wrk not installed (apt-get install wrk)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'kill ${MOCK_PID:-} ${BARE_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/presencekit" ./cmd/presencekit
go build -o "$WORK/benchtarget" ./internal/benchtarget/cmd/benchtarget
LIFE=$((DURATION * 6 + 60))

# waitaddr FILE: the address a server printed on its first line.
waitaddr() {
	for _ in $(seq 100); do [[ -s "$1" ]] && break; sleep 0.1; done
	sed -n '1s#.*http://##; 1s#^\([0-9.:]*\).*#\1#p' "$1"
}
timeout "$LIFE" "$WORK/presencekit" mock --listen 127.0.0.1:0 --token bench --log-level error >"$WORK/mock.addr" 2>/dev/null &
MOCK_PID=$!
timeout "$LIFE" "$WORK/benchtarget" -addr 127.0.0.1:0 -for "${LIFE}s" >"$WORK/bare.addr" &
BARE_PID=$!
MOCK=$(waitaddr "$WORK/mock.addr")
BARE=$(waitaddr "$WORK/bare.addr")

USERS=$(printf '"pkbench_%d",' $(seq 1 10))
cat >"$WORK/get.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = '{"usernames":[${USERS%,}]}'
LUA
cat >"$WORK/set.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
wrk.body = '{"ext":"in a meeting"}'
LUA
# Give the ten users a status so batch get answers real entries.
for i in $(seq 1 10); do
	curl -s -XPOST "http://$MOCK/org/app/users/pkbench_$i/presence/android_$i/1" -H 'Authorization: Bearer bench' \
		-H 'Content-Type: application/json' -d '{"ext":"at work"}' >/dev/null
done

# rate ADDR PATH SCRIPT: requests/s wrk reached.
rate() {
	timeout $((DURATION + 20)) wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" -s "$3" "http://$1$2" >"$WORK/wrk.out" 2>&1 || true
	awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out"
}

echo "wrk -t $THREADS -c $CONNS -d ${DURATION}s on loopback, $(nproc) cores; mock http://$MOCK, bare http://$BARE"
printf '%-26s %12s %12s %8s\n' "request" "mock req/s" "bare req/s" "ratio"
for c in "batch get, 10 users|/org/app/users/pkbench_0/presence|get.lua" \
	"set status|/org/app/users/pkbench_0/presence/android_0/1|set.lua"; do
	IFS='|' read -r name path script <<<"$c"
	m=$(rate "$MOCK" "$path" "$WORK/$script")
	b=$(rate "$BARE" "$path" "$WORK/$script")
	printf '%-26s %12s %12s %8s\n' "$name" "$m" "$b" "$(awk -v m="$m" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", m / b; else print "n/a" }')"
done
