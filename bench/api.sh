#!/usr/bin/env bash
# API benchmark. Prints figures beside their goals; asserts nothing.
#
#   status latency  p50/p99 of GET /api/v1/status on the unix socket, one
#                   connection per request (as storagectl does), measured
#                   by curl's own clock (connect to last byte)
#   idle RSS        storaged's VmRSS after start, after the requests, and
#                   after a login (argon2 borrows ~19 MiB while hashing)
#
# storaged runs in --sim mode in a temp dir: no root, no disks, no network.
# Usage: bench/api.sh [REQUESTS]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || PATH="$HOME/.cargo/bin:$PATH"
command -v curl >/dev/null || { echo "bench/api.sh needs curl (apt-get install curl)" >&2; exit 1; }
requests=${1:-1000}
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --locked -p storaged --bin storaged >&2
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
socket="$work/run/api.sock"
"$target/release/storaged" --sim --sim-dir "$work" >"$work/storaged.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q '^storaged ready$' "$work/storaged.log" && break
	sleep 0.05
done
grep -q '^storaged ready$' "$work/storaged.log" || { cat "$work/storaged.log" >&2; exit 1; }

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
api() { curl -sS --unix-socket "$socket" "$@"; }

sleep 1
rss_start=$(rss_mib)

# A warm-up, then the measured requests: one curl, a fresh connection each.
api -o /dev/null "http://storaged/api/v1/status"
urls=()
for _ in $(seq "$requests"); do urls+=(-o /dev/null "http://storaged/api/v1/status"); done
api -H 'Connection: close' -w '%{http_code} %{time_total}\n' "${urls[@]}" >"$work/times"
failed=$(awk '$1 != 200' "$work/times" | wc -l)
sort -n -k2 "$work/times" | awk -v n="$requests" '
	{ t[NR] = $2 * 1000 }
	END {
		p50 = t[int((n - 1) * 0.50) + 1]; p99 = t[int((n - 1) * 0.99) + 1]
		printf "status_p50_ms %.2f\nstatus_p99_ms %.2f\nstatus_max_ms %.2f\n", p50, p99, t[n]
	}' >"$work/latency"
sleep 1
rss_requests=$(rss_mib)

api -o /dev/null -H 'Content-Type: application/json' \
	-d '{"password": "benchmark password"}' "http://storaged/api/v1/setup"
api -o /dev/null -H 'Content-Type: application/json' \
	-d '{"password": "benchmark password"}' "http://storaged/api/v1/login"
sleep 2
rss_login=$(rss_mib)

p50=$(awk '$1 == "status_p50_ms" {print $2}' "$work/latency")
p99=$(awk '$1 == "status_p99_ms" {print $2}' "$work/latency")
max=$(awk '$1 == "status_max_ms" {print $2}' "$work/latency")
echo
echo "storaged API ($requests requests on the unix socket, release build, --sim)"
printf '  %-28s %8s   %s\n' "figure" "measured" "goal"
printf '  %-28s %8s   %s\n' "status p50 latency (ms)" "$p50" ""
printf '  %-28s %8s   %s\n' "status p99 latency (ms)" "$p99" "20"
printf '  %-28s %8s   %s\n' "status max latency (ms)" "$max" ""
printf '  %-28s %8s   %s\n' "failed requests" "$failed" "0"
printf '  %-28s %8s   %s\n' "idle RSS after start (MiB)" "$rss_start" "30"
printf '  %-28s %8s   %s\n' "idle RSS after requests (MiB)" "$rss_requests" "30"
printf '  %-28s %8s   %s\n' "idle RSS after a login (MiB)" "$rss_login" "30"
