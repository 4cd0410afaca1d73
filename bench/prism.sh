#!/usr/bin/env bash
# bench/prism.sh: presencekit proxy side by side with Prism's validating
# proxy (npx @stoplight/prism-cli proxy), on loopback.
#
# 1. Violations. Two mocks broken the same way (several --break modes that
#    change what an answer looks like) and two correct ones; presencekit
#    proxy (report mode) in front of one of each, Prism (default mode, which
#    forwards everything and lists what it found in the sl-violations header
#    of each answer) in front of the other. The same fixed requests go
#    through both, one at a time; after each the script lists what each
#    proxy found: presencekit's from its JSON-lines log (read after
#    /_proxy/report?flush=1), Prism's from sl-violations.
# 2. Throughput. wrk (one thread, closed loop, CONNS connections, DURATION
#    seconds), the same request mix (batch get of 10, set status, subscribe
#    2, sublist) to the correct mock directly, through presencekit, through
#    Prism, RUNS times alternating: req/s, p99, and each proxy's CPU per
#    request (from /proc/PID/stat), then the median of each and the ratios.
#    To compare the proxies and not the machine, each proxy under test runs
#    alone on PROXY_CPU while wrk and the mock share LOAD_CPU (taskset), the
#    same for both: Prism's node is single-threaded, so an unpinned Go proxy
#    would otherwise be measured on two cores against one, and either proxy
#    would fight wrk and the mock for them. "direct" (wrk straight to the
#    mock on LOAD_CPU) is the most any proxy can reach in this setup; a
#    proxy near it is capped by the load side, not by itself, and then the
#    CPU-per-request ratio is the fairer measure of what each proxy costs.
#    Two forwarders that validate nothing (internal/benchforward), pinned
#    the same way, give the floor of each HTTP stack: "fwd-nethttp" is
#    the reverse proxy and transport presencekit proxy is built on, so
#    presencekit's CPU per request minus its is what judging the exchanges
#    costs; "fwd-fasthttp" is what any proxy built on fasthttp would start
#    from. FLOORS=0 leaves them out.
#    PIN=0 turns the pinning off. BASELINE=REV (a git revision) also
#    builds presencekit at REV and measures its proxy the same way in the
#    same runs ("baseline"), so a change to the proxy is judged against
#    the code before it under the same load.
#
#   bench/prism.sh
#   DURATION=5 CONNS=32 RUNS=5 bench/prism.sh
#   BASELINE=HEAD~3 bench/prism.sh
#
# Needs go, node/npx (the npm registry, first run only), wrk, jq, curl,
# taskset (util-linux) and Linux /proc. Every process runs under `timeout`
# and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

PRISM_VERSION=${PRISM_VERSION:-5.16.0}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
RUNS=${RUNS:-3}
PIN=${PIN:-1}
LOAD_CPU=${LOAD_CPU:-0}
PROXY_CPU=${PROXY_CPU:-1}
BASELINE=${BASELINE:-}
FLOORS=${FLOORS:-1}
WAIT=5 # seconds a request of the fixed set may take
BREAKS=(SCHEMA-RESPONSE SUB-ENTRY-PER-USER SUB-EXPIRY-ABSOLUTE SET-OK GET-ENTRY-PER-USER SUBLIST-DEFAULTS SUB-LIMIT-USERS SUB-SELF)
LIFE=$((DURATION * 4 * RUNS + 240))
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

go build -o "$WORK/presencekit" ./cmd/presencekit
go build -o "$WORK/benchforward" ./internal/benchforward/cmd/benchforward
PK="$WORK/presencekit"
if [[ -n $BASELINE ]]; then
	BASEREV=$(git rev-parse --short "$BASELINE^{commit}") || { echo "prism.sh: BASELINE=$BASELINE: no such revision" >&2; exit 1; }
	mkdir "$WORK/base"
	git archive "$BASEREV" | tar -x -C "$WORK/base"
	(cd "$WORK/base" && go build -o "$WORK/presencekit-base" ./cmd/presencekit)
fi
PRISM=$(timeout 300 npx --yes -p "@stoplight/prism-cli@$PRISM_VERSION" -c 'command -v prism' 2>/dev/null | tail -1)
[[ -x "$PRISM" ]] || { echo "prism.sh: could not install @stoplight/prism-cli@$PRISM_VERSION" >&2; exit 1; }

# on CPU CMD...: CMD pinned to CPU (all its threads), unless PIN=0.
on() {
	local cpu=$1
	shift
	if [[ $PIN == 1 ]]; then taskset -c "$cpu" "$@"; else "$@"; fi
}

# waitaddr FILE: the host:port a server printed on its first line
# (presencekit's in a URL, benchforward's bare).
waitaddr() {
	for _ in $(seq 100); do [[ -s "$1" ]] && break; sleep 0.1; done
	head -1 "$1" | grep -Eo '[0-9][0-9.]*:[0-9]+' | head -1
}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# The starters run in this shell (not in $(…)) so PIDS keeps every PID;
# the address is read afterwards. ADDR is set to the new server's address.
# mock NAME BREAK...: start a mock.
mock() {
	local name=$1 args=()
	shift
	for b in "$@"; do args+=(--break "$b"); done
	on "$LOAD_CPU" timeout "$LIFE" "$PK" mock --listen 127.0.0.1:0 --token bench --log-level error "${args[@]}" >"$WORK/$name.addr" 2>/dev/null &
	PIDS+=($!)
	ADDR=$(waitaddr "$WORK/$name.addr")
}
# pkproxy NAME TARGET [BINARY]: start presencekit proxy.
pkproxy() {
	on "$PROXY_CPU" timeout "$LIFE" "${3:-$PK}" proxy --listen 127.0.0.1:0 --target "http://$2" --log "$WORK/$1.jsonl" >"$WORK/$1.addr" 2>&1 &
	PIDS+=($!)
	ADDR=$(waitaddr "$WORK/$1.addr")
}
# forwarder NAME TARGET ENGINE: start a forwarder that validates nothing.
forwarder() {
	on "$PROXY_CPU" timeout "$LIFE" "$WORK/benchforward" -addr 127.0.0.1:0 -target "$2" -engine "$3" -for "${LIFE}s" >"$WORK/$1.addr" 2>&1 &
	PIDS+=($!)
	ADDR=$(waitaddr "$WORK/$1.addr")
}
# prism NAME TARGET: start Prism's proxy to TARGET (the tenant prefix is in
# the spec's paths, so Prism routes /org/app/... itself).
prism() {
	local port
	port=$(freeport)
	on "$PROXY_CPU" timeout "$LIFE" "$PRISM" proxy openapi.yaml "http://$2" --host 127.0.0.1 --port "$port" -v error >"$WORK/$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	ADDR="127.0.0.1:$port"
}
# proc PID: the server itself, the last descendant of the background job
# (a subshell, then `timeout`, then the server).
proc() {
	local p=$1 c
	while c=$(pgrep -P "$p" | head -1) && [[ -n $c ]]; do p=$c; done
	echo "$p"
}

mock broken-pk "${BREAKS[@]}" && BROKEN_PK=$ADDR
mock broken-prism "${BREAKS[@]}" && BROKEN_PR=$ADDR
mock clean-pk && CLEAN_PK=$ADDR
mock clean-prism && CLEAN_PR=$ADDR
pkproxy pk-broken "$BROKEN_PK" && PXB=$ADDR
pkproxy pk-clean "$CLEAN_PK" && PXC=$ADDR
PXC_PID=$(proc "${PIDS[-1]}")
if [[ -n $BASELINE ]]; then
	pkproxy pk-base "$CLEAN_PK" "$WORK/presencekit-base" && PXBASE=$ADDR
	PXBASE_PID=$(proc "${PIDS[-1]}")
fi
if [[ $FLOORS == 1 ]]; then
	forwarder fwd-nethttp "$CLEAN_PK" net/http && FWDNET=$ADDR
	FWDNET_PID=$(proc "${PIDS[-1]}")
	forwarder fwd-fasthttp "$CLEAN_PK" fasthttp && FWDFAST=$ADDR
	FWDFAST_PID=$(proc "${PIDS[-1]}")
fi
prism prism-broken "$BROKEN_PR" && PRB=$ADDR
prism prism-clean "$CLEAN_PR" && PRC=$ADDR
PRC_PID=$(proc "${PIDS[-1]}")
echo "Prism $("$PRISM" --version) vs presencekit proxy; mocks broken with: ${BREAKS[*]}"
echo "measured: presencekit PID $PXC_PID ($(cat "/proc/$PXC_PID/comm")), Prism PID $PRC_PID ($(cat "/proc/$PRC_PID/comm"))"
[[ -n $BASELINE ]] && echo "baseline: presencekit at $BASEREV ($BASELINE), PID $PXBASE_PID, in front of the same mock"
if [[ $PIN == 1 ]]; then
	echo "pinned: each proxy on CPU $PROXY_CPU; wrk and the mocks on CPU $LOAD_CPU ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
fi

users() { local out="" i; for i in $(seq -f "s%03g" 1 "$1"); do out+="\"$i\","; done; echo "${out%,}"; }
# The fixed request set: name | method | path under /org/app | body | auth (1/0).
REQUESTS=(
	"subscribe 12 users|POST|/users/alice/presence/600|{\"usernames\":[$(users 12)]}|1"
	"set status|POST|/users/alice/presence/android_1/1|{\"ext\":\"hello\"}|1"
	"batch get 3 users|POST|/users/alice/presence|{\"usernames\":[\"s001\",\"s002\",\"s003\"]}|1"
	"sublist, no pageSize|GET|/users/alice/presence/sublist||1"
	"sublist, pageSize 50|GET|/users/alice/presence/sublist?pageNum=1&pageSize=50||1"
	"subscribe to oneself|POST|/users/alice/presence/600|{\"usernames\":[\"alice\"]}|1"
	"subscribe 101 users|POST|/users/bob/presence/600|{\"usernames\":[$(users 101)]}|1"
	"subscribe 0 users|POST|/users/bob/presence/600|{\"usernames\":[]}|1"
	"subscribe, no token|POST|/users/bob/presence/600|{\"usernames\":[\"s001\"]}|0"
	"malformed JSON|POST|/users/bob/presence|{\"usernames\":[|1"
	"group online, type 1|GET|/presence/online/g1/type/1||1"
	"unsubscribe, bare array|DELETE|/users/alice/presence|[\"s001\"]|1"
)

# send BASE PREFIX LINE HEADERS_FILE: one request of the set, prints the status.
send() {
	local base=$1 prefix=$2 name method path body auth args=()
	IFS='|' read -r name method path body auth <<<"$3"
	[[ $auth == 1 ]] && args+=(-H "Authorization: Bearer bench")
	[[ -n $body ]] && args+=(-H "Content-Type: application/json" --data-binary "$body")
	: >"$4"
	curl -s -m "$WAIT" -o /dev/null -D "$4" -w '%{http_code}' -X "$method" "${args[@]}" "http://$base$prefix$path" || true
}
# pkfound LOG FROM: presencekit's violations logged after line FROM.
pkfound() { tail -n +"$(($2 + 1))" "$1" | jq -r '"\(.direction) \(.rule) \(.field)"'; }
# prismfound HEADERS: Prism's violations of one answer (sl-violations).
prismfound() {
	tr -d '\r' <"$1" | sed -n 's/^[sS][lL]-[vV]iolations: //p' |
		jq -r '.[] | "\(.location[0]) \(.severity) \(.location[1:] | join(".")) \(.code // "") \(.message)"'
}

# compare LABEL PK_BASE PK_LOG PRISM_BASE: run the request set through both.
compare() {
	local pk=$2 log=$3 pr=$4 seen=0 both=0 pkonly=0 pronly=0 neither=0 n=0
	printf '\n== %s ==\n' "$1"
	for line in "${REQUESTS[@]}"; do
		n=$((n + 1))
		local s1 s2 pkv prv pkr=0 prr=0
		s1=$(send "$pk" /org/app "$line" "$WORK/h1")
		curl -s -o /dev/null "http://$pk/_proxy/report?flush=1" || echo "prism.sh: presencekit report unavailable" >&2
		pkv=$(pkfound "$log" "$seen")
		seen=$(wc -l <"$log")
		s2=$(send "$pr" /org/app "$line" "$WORK/h2")
		prv=$(prismfound "$WORK/h2")
		grep -q '^response' <<<"$pkv" && pkr=1
		grep -q '^response' <<<"$prv" && prr=1
		case "$pkr$prr" in 11) both=$((both + 1)) ;; 10) pkonly=$((pkonly + 1)) ;; 01) pronly=$((pronly + 1)) ;; *) neither=$((neither + 1)) ;; esac
		[[ $s2 == 000 ]] && prv="(no answer within ${WAIT}s)"
		[[ $s1 == 000 ]] && pkv="(no answer within ${WAIT}s) $pkv"
		printf '%2d %-34s presencekit %s | prism %s\n' "$n" "${line%%|*}" "$s1" "$s2"
		sed 's/^/     presencekit: /' <<<"${pkv:-(none)}"
		sed 's/^/     prism:       /' <<<"${prv:-(none)}"
	done
	echo "requests with a response violation: both $both, presencekit only $pkonly, Prism only $pronly, neither $neither"
}
# Throughput: wrk with the same mix through each.
cat >"$WORK/mix.lua" <<'EOF'
local prefix = os.getenv("PREFIX") or ""
local h = { ["Authorization"] = "Bearer bench", ["Content-Type"] = "application/json" }
local get = '{"usernames":["u01","u02","u03","u04","u05","u06","u07","u08","u09","u10"]}'
local reqs, i = {}, 0
local function add(n, method, path, body)
	for _ = 1, n do reqs[#reqs + 1] = wrk.format(method, prefix .. path, h, body) end
end
init = function() -- wrk.format needs the Host header, known from here on
	add(5, "POST", "/users/w1/presence", get)
	add(2, "POST", "/users/w1/presence/android_1/1", '{"ext":"x"}')
	add(2, "POST", "/users/w1/presence/3600", '{"usernames":["u01","u02"]}')
	add(1, "GET", "/users/w1/presence/sublist?pageNum=1&pageSize=20", nil)
end
request = function()
	i = i % #reqs + 1
	return reqs[i]
end
EOF
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
# load NAME BASE PREFIX PID: wrk through BASE; prints req/s, p99, CPU/req
# and appends "req/s cpu-µs/req" to $WORK/NAME.runs.
load() {
	local t0 t1 out rps p99 non2xx cpu="n/a" us=0 total
	[[ -n $4 ]] && t0=$(ticks "$4")
	out=$(PREFIX=$3 on "$LOAD_CPU" timeout $((DURATION + 30)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$WORK/mix.lua" "http://$2" 2>&1)
	[[ -n $4 ]] && t1=$(ticks "$4")
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	total=$(awk '/requests in/ {print $1}' <<<"$out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	if [[ -n $4 ]]; then
		us=$(awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$total" 'BEGIN { printf "%.0f", t / hz / n * 1e6 }')
		cpu="$us µs"
	fi
	printf '%-4s %-14s %10s req/s   p99 %8s   non-2xx %-6s proxy CPU/req %s\n' "$5" "$1" "$rps" "$p99" "${non2xx:-0}" "$cpu"
	echo "$rps $us" >>"$WORK/$1.runs"
}
# median NAME COLUMN: the median of a column of $WORK/NAME.runs.
median() { awk -v c="$2" '{print $c}' "$WORK/$1.runs" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '\n== throughput: wrk -t1 -c%s, %ss, closed loop, correct mock, %s runs ==\n' "$CONNS" "$DURATION" "$RUNS"
for run in $(seq "$RUNS"); do
	load direct "$CLEAN_PK" /org/app "" "#$run"
	load presencekit "$PXC" /org/app "$PXC_PID" "#$run"
	[[ -n $BASELINE ]] && load baseline "$PXBASE" /org/app "$PXBASE_PID" "#$run"
	load prism "$PRC" /org/app "$PRC_PID" "#$run"
	if [[ $FLOORS == 1 ]]; then
		load fwd-nethttp "$FWDNET" /org/app "$FWDNET_PID" "#$run"
		load fwd-fasthttp "$FWDFAST" /org/app "$FWDFAST_PID" "#$run"
	fi
done
curl -s "http://$PXC/_proxy/report?flush=1" | jq -c '.stats'
printf 'median of %s runs: direct %s req/s; presencekit %s req/s, %s µs CPU/req; Prism %s req/s, %s µs CPU/req\n' "$RUNS" \
	"$(median direct 1)" "$(median presencekit 1)" "$(median presencekit 2)" "$(median prism 1)" "$(median prism 2)"
if [[ -n $BASELINE ]]; then
	awk -v a="$(median presencekit 1)" -v b="$(median baseline 1)" -v ca="$(median presencekit 2)" -v cb="$(median baseline 2)" -v rev="$BASEREV" 'BEGIN {
		printf "baseline %s: %s req/s, %s µs CPU/req; this tree %.2f× its req/s, %.2f× its CPU per request\n", rev, b, cb, a / b, (cb > 0 ? ca / cb : 0) }'
fi
awk -v a="$(median presencekit 1)" -v b="$(median prism 1)" -v ca="$(median presencekit 2)" -v cb="$(median prism 2)" -v d="$(median direct 1)" 'BEGIN {
	printf "throughput ratio presencekit/Prism: %.1f×   CPU per request ratio Prism/presencekit: %.1f×\n", a / b, (ca > 0 ? cb / ca : 0)
	if (a >= 0.9 * d) printf "presencekit reached %.0f%% of direct: capped by wrk and the mock, not by itself; see the CPU ratio\n", a / d * 100 }'
if [[ $FLOORS == 1 ]]; then
	awk -v a="$(median presencekit 1)" -v ca="$(median presencekit 2)" -v b="$(median prism 1)" \
		-v n="$(median fwd-nethttp 1)" -v cn="$(median fwd-nethttp 2)" -v f="$(median fwd-fasthttp 1)" -v cf="$(median fwd-fasthttp 2)" 'BEGIN {
		printf "forwarding alone (no validation): net/http %s req/s, %s µs CPU/req (%.1f× Prism); fasthttp %s req/s, %s µs CPU/req (%.1f× Prism)\n", n, cn, n / b, f, cf, f / b
		printf "presencekit over its net/http floor: %+.0f µs CPU/req (%.2f×), %.2f× its req/s\n", ca - cn, (cn > 0 ? ca / cn : 0), a / n }'
fi

touch "$WORK/pk-broken.jsonl" "$WORK/pk-clean.jsonl"
compare "broken mock (${BREAKS[*]})" "$PXB" "$WORK/pk-broken.jsonl" "$PRB"
compare "correct mock" "$PXC" "$WORK/pk-clean.jsonl" "$PRC"

