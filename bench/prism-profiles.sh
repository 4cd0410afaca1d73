#!/usr/bin/env bash
# bench/prism-profiles.sh: Stoplight Prism (npx @stoplight/prism-cli, proxy
# mode) in front of the presencekit mock routes every operation of every
# profile (issue 12): for each built-in profile it dumps the merged document,
# starts `presencekit mock --profile P` and `prism proxy merged.yaml MOCK`,
# sends one request per operation through Prism and fails on any
# "Selected route not found" (NO_PATH_MATCHED_ERROR) or a 5xx. Then it runs
# a full `presencekit conform --profile P` through Prism and counts the
# violations Prism logged (expected: none on responses; the request
# violations are the suite's deliberate bad requests). Prism does not answer
# some malformed-JSON requests in time, so a few ERR-JSON-PARSE specs time
# out through it: that is Prism, not the server.
#
#   bench/prism-profiles.sh
#   PROFILES="easemob shengwang" bench/prism-profiles.sh
#
# Needs go, node/npx (the npm registry, first run only), curl, jq. Every
# process listens on 127.0.0.1, runs under `timeout` and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

PRISM_VERSION=${PRISM_VERSION:-5.16.0}
LIFE=600
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

go build -o "$WORK/presencekit" ./cmd/presencekit
PK="$WORK/presencekit"
PROFILES=${PROFILES:-$("$PK" spec profiles | awk 'NF > 1 && $0 !~ /^ / {print $1}' | sort -u)}
PRISM=$(timeout 300 npx --yes -p "@stoplight/prism-cli@$PRISM_VERSION" -c 'command -v prism' 2>/dev/null | tail -1)
[[ -x "$PRISM" ]] || { echo "prism-profiles.sh: could not install @stoplight/prism-cli@$PRISM_VERSION" >&2; exit 1; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

fail=0
for P in $PROFILES; do
	"$PK" spec dump --profile "$P" >"$WORK/$P.yaml"
	timeout "$LIFE" "$PK" mock --profile "$P" --listen 127.0.0.1:0 --token bench --log-level error >"$WORK/$P.mock" 2>/dev/null &
	PIDS+=($!)
	for _ in $(seq 100); do [[ -s "$WORK/$P.mock" ]] && break; sleep 0.1; done
	MOCK=$(head -1 "$WORK/$P.mock" | grep -o 'http://[0-9.:]*' | head -1)
	port=$(freeport)
	timeout "$LIFE" "$PRISM" proxy "$WORK/$P.yaml" "$MOCK" --host 127.0.0.1 --port "$port" >"$WORK/$P.prism" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	PR="http://127.0.0.1:$port"
	# The tenant prefix as the profile's paths write it: /org/app or /app-id/app.
	T=$(grep -o "^  /[^/]*/[^/]*/token:" "$WORK/$P.yaml" | sed 's#^  ##; s#/token:##; s#{org_name}#org#; s#{app_name}#app#; s#{app_id}#app#')
	H=(-H "Authorization: Bearer bench" -H "Content-Type: application/json")
	REQS=(
		"POST|$T/token|{\"grant_type\":\"client_credentials\",\"client_id\":\"presencekit-client\",\"client_secret\":\"x\"}"
		"POST|$T/users/alice/presence/android_1/1|{\"ext\":\"hi\"}"
		"POST|$T/users/alice/presence/600|{\"usernames\":[\"bob\"]}"
		"POST|$T/users/alice/presence|{\"usernames\":[\"bob\"]}"
		"GET|$T/users/alice/presence/sublist?pageNum=1&pageSize=10|"
		"DELETE|$T/users/alice/presence|{\"users\":[\"bob\"]}"
	)
	grep -q 'presence/online' "$WORK/$P.yaml" && REQS+=("GET|$T/presence/online/g1/type/1|")
	printf '\n== %s (tenant %s) ==\n' "$P" "$T"
	for r in "${REQS[@]}"; do
		IFS='|' read -r method path body <<<"$r"
		args=("${H[@]}")
		[[ -n $body ]] && args+=(--data-binary "$body")
		code=$(curl -s -m 10 -o "$WORK/body" -D "$WORK/hdr" -w '%{http_code}' -X "$method" "${args[@]}" "$PR$path" || true)
		viol=$(tr -d '\r' <"$WORK/hdr" | sed -n 's/^[sS][lL]-[vV]iolations: //p' | jq -r '[.[] | "\(.location[0]):\(.code // "")"] | join(",")' 2>/dev/null || true)
		routed=yes
		grep -q 'NO_PATH_MATCHED_ERROR\|Route not resolved' "$WORK/body" && routed=NO
		[[ $code == 5* ]] && routed=NO
		printf '  %-6s %-60s %s routed=%s sl-violations=[%s]\n' "$method" "$path" "$code" "$routed" "$viol"
		[[ $routed == yes ]] || fail=1
	done
	# A full conform run through Prism; Prism logs each violation it finds.
	rc=0
	timeout 300 "$PK" conform --profile "$P" --target "$PR" --token bench \
		--client-id presencekit-client --client-secret presencekit-secret --report-dir "$WORK/$P.reports" >"$WORK/$P.conform" 2>&1 || rc=$?
	reqv=$(grep -c 'Violation: request' "$WORK/$P.prism" || true)
	resv=$(grep -c 'Violation: response' "$WORK/$P.prism" || true)
	grep 'Violation: response' "$WORK/$P.prism" | sed 's/.*Violation: /    /' | sort | uniq -c || true
	printf '  conform through Prism: exit %s (%s); Prism logged %s request and %s response violations\n' \
		"$rc" "$(tail -1 "$WORK/$P.conform" | head -c 120)" "$reqv" "$resv"
done
exit $fail
