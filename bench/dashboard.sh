#!/usr/bin/env bash
# Dashboard benchmark. Prints figures beside their goals; asserts nothing.
#
#   idle            storaged's CPU seconds and RSS over DURATION with nobody
#                   watching (the collector rests)
#   five streams    the same over DURATION with five SSE dashboard streams
#                   open (GET /api/v1/dashboard/stream, curl -N), and the
#                   events each received (one per 2 s expected)
#   page            what a browser downloads for the dashboard (HTML, CSS,
#                   JS, vendored uPlot), uncompressed and gzipped, and the
#                   HTML's time to first byte and to last byte; "first
#                   render" is approximated by the HTML plus its stylesheets
#                   (the scripts are deferred), fetched one after another
#
# storaged runs in --sim mode in a temp dir, HTTPS on a loopback port: no
# root, no disks. The fixture machine has drives with temperature sensors
# but no /proc of its own, so CPU/memory/NIC parts are empty there; the
# collector still runs every reader (hwmon, inventory, fake zpool).
# Usage: DURATION=300 bench/dashboard.sh   (default 300 s per window)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || PATH="$HOME/.cargo/bin:$PATH"
command -v curl >/dev/null || { echo "bench/dashboard.sh needs curl (apt-get install curl)" >&2; exit 1; }
duration=${DURATION:-300}
streams=${STREAMS:-5}
work=$(mktemp -d)
pid=
curls=()
cleanup() {
	for c in "${curls[@]}"; do kill "$c" 2>/dev/null || true; done
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --locked -p storaged --bin storaged >&2
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
port=$((20000 + RANDOM % 20000))
"$target/release/storaged" --sim --sim-dir "$work" --https "127.0.0.1:$port" >"$work/storaged.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
	grep -q '^storaged ready$' "$work/storaged.log" && break
	sleep 0.05
done
grep -q '^storaged ready$' "$work/storaged.log" || { cat "$work/storaged.log" >&2; exit 1; }

base="https://127.0.0.1:$port"
socket="$work/run/api.sock"
tck=$(getconf CLK_TCK)
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
hwm_mib() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
# utime + stime of every thread (the blocking pool's too), in seconds.
cpu_s() { awk -v t="$tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$pid/stat"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
percent() { awk -v s="$1" -v d="$duration" 'BEGIN { printf "%.2f", 100 * s / d }'; }

# Set the password on the socket, log in over HTTPS as a browser does.
curl -sS --unix-socket "$socket" -o /dev/null -H 'Content-Type: application/json' \
	-d '{"password": "benchmark password"}' "http://storaged/api/v1/setup"
token=$(curl -sSk -H 'Content-Type: application/json' -d '{"password": "benchmark password"}' \
	"$base/api/v1/login" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$token" ] || { echo "login failed" >&2; exit 1; }
cookie="storaged_session=$token"

# Idle window: nobody has looked at the dashboard.
sleep 2
cpu0=$(cpu_s)
sleep "$duration"
cpu_idle=$(awk -v a="$(cpu_s)" -v b="$cpu0" 'BEGIN {printf "%.2f", a - b}')
rss_idle=$(rss_mib)

# The page, as a browser fetches it (the collector is resting: the first
# sample is taken for this request).
curl -sSk -H "Cookie: $cookie" -o "$work/page.html" \
	-w '%{http_code} %{time_starttransfer} %{time_total}\n' "$base/ui/" >"$work/page.time"
read -r page_status page_ttfb page_total <"$work/page.time"
[ "$page_status" = 200 ] || { echo "GET /ui/ answered $page_status" >&2; exit 1; }
grep -o '\(href\|src\)="/static/[^"]*"' "$work/page.html" | sed 's/^[a-z]*="\(.*\)"$/\1/' >"$work/assets"
raw=$(wc -c <"$work/page.html")
gz=$(gzip -9c "$work/page.html" | wc -c)
render=$(awk -v t="$page_total" 'BEGIN {print t}')
i=0
while read -r asset; do
	i=$((i + 1))
	curl -sSk -o "$work/asset.$i" -w '%{time_total}\n' "$base$asset" >"$work/asset.time"
	raw=$((raw + $(wc -c <"$work/asset.$i")))
	gz=$((gz + $(gzip -9c "$work/asset.$i" | wc -c)))
	case "$asset" in
	*.css*) render=$(awk -v a="$render" -v b="$(cat "$work/asset.time")" 'BEGIN {print a + b}') ;;
	esac
done <"$work/assets"

# Five dashboards open.
sleep 2
cpu0=$(cpu_s)
for n in $(seq "$streams"); do
	curl -sSkN -H "Cookie: $cookie" "$base/api/v1/dashboard/stream" >"$work/stream.$n" 2>/dev/null &
	curls+=($!)
done
rss_peak=0
end=$((SECONDS + duration))
while [ $SECONDS -lt $end ]; do
	sleep 5
	rss_peak=$(awk -v a="$rss_peak" -v b="$(rss_mib)" 'BEGIN {print (b > a) ? b : a}')
done
cpu_streams=$(awk -v a="$(cpu_s)" -v b="$cpu0" 'BEGIN {printf "%.2f", a - b}')
rss_streams=$(rss_mib)
for c in "${curls[@]}"; do kill "$c" 2>/dev/null || true; done
curls=()
events=$(for n in $(seq "$streams"); do grep -c '^event: sample' "$work/stream.$n" || true; done | tr '\n' ' ')
expected=$((duration / 2))

ms() { awk -v s="$1" 'BEGIN {printf "%.1f", s * 1000}'; }
kb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1024}'; }
echo
echo "storaged dashboard (--sim, release build, HTTPS on loopback, ${duration} s per window)"
printf '  %-40s %10s   %s\n' "figure" "measured" "goal"
printf '  %-40s %10s   %s\n' "idle: CPU seconds" "$cpu_idle" ""
printf '  %-40s %10s   %s\n' "idle: CPU (% of one core)" "$(percent "$cpu_idle")" ""
printf '  %-40s %10s   %s\n' "idle: RSS (MiB)" "$rss_idle" "30"
printf '  %-40s %10s   %s\n' "$streams streams: CPU seconds" "$cpu_streams" ""
printf '  %-40s %10s   %s\n' "$streams streams: CPU (% of one core)" "$(percent "$cpu_streams")" "2"
printf '  %-40s %10s   %s\n' "$streams streams: CPU vs idle (ratio)" "$(ratio "$cpu_streams" "$cpu_idle")" ""
printf '  %-40s %10s   %s\n' "$streams streams: RSS at end (MiB)" "$rss_streams" "30"
printf '  %-40s %10s   %s\n' "$streams streams: RSS peak sampled (MiB)" "$rss_peak" "30"
printf '  %-40s %10s   %s\n' "$streams streams: RSS vs idle (ratio)" "$(ratio "$rss_streams" "$rss_idle")" ""
printf '  %-40s %10s   %s\n' "high-water RSS over the run (MiB)" "$(hwm_mib)" ""
printf '  %-40s %10s   %s\n' "events per stream (expected ~$expected)" "$events" ""
printf '  %-40s %10s   %s\n' "page: files (HTML + assets)" "$((1 + $(wc -l <"$work/assets")))" ""
printf '  %-40s %10s   %s\n' "page: download, uncompressed (KiB)" "$(kb "$raw")" "200"
printf '  %-40s %10s   %s\n' "page: download, gzip -9 (KiB)" "$(kb "$gz")" ""
printf '  %-40s %10s   %s\n' "page: HTML time to first byte (ms)" "$(ms "$page_ttfb")" ""
printf '  %-40s %10s   %s\n' "page: HTML complete (ms)" "$(ms "$page_total")" ""
printf '  %-40s %10s   %s\n' "page: HTML + stylesheets, serial (ms)" "$(ms "$render")" ""
