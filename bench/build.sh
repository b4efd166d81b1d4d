#!/usr/bin/env bash
# Build benchmark. Prints figures; asserts nothing. Needs root, like a build.
#
#   cold   ironstor build with an empty cache (base root, ZFS, everything)
#   floor  the least any builder must do for the same root: mmdebstrap of
#          the same packages plus mksquashfs with the same compressor
#   warm   ironstor build again after storaged changed (cache reused)
#
# All in one run on this machine, so the ratios compare like with like.
# Usage: bench/build.sh [PROFILE]   (default images/qemu.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || PATH="$HOME/.cargo/bin:$PATH"
profile=${1:-images/qemu.toml}
work=$(mktemp -d /var/tmp/ironstor-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --workspace >&2
ironstor=target/release/ironstor
"$ironstor" setup >&2
packages=$("$ironstor" profile packages "$profile")
compression=$(sed -n 's/^compression *= *"\(.*\)"/\1/p' "$profile" | head -n1)
compression=${compression:-zstd}

seconds() { local s=$1; echo "$(($(date +%s%N) - s))" | awk '{printf "%.1f", $1/1e9}'; }

echo "==> floor: mmdebstrap + mksquashfs ($compression)" >&2
start=$(date +%s%N)
mmdebstrap --mode=root --variant=minbase --components=main,contrib \
	--include="$packages" trixie "$work/floor" >"$work/floor.log" 2>&1
mksquashfs "$work/floor" "$work/floor.squashfs" -comp "$compression" -noappend -quiet >/dev/null
floor=$(seconds "$start")
rm -rf "$work/floor"

echo "==> cold build (empty cache)" >&2
start=$(date +%s%N)
"$ironstor" build "$profile" --cache "$work/cache" --out "$work/out" >"$work/cold.log" 2>&1
cold=$(seconds "$start")

echo "==> warm build after a storaged change" >&2
cp target/release/storaged target/release/storagectl "$work/"
printf '\0' >>"$work/storaged" # a different binary, same behaviour
start=$(date +%s%N)
"$ironstor" build "$profile" --cache "$work/cache" --out "$work/out" --storaged "$work/storaged" >"$work/warm.log" 2>&1
warm=$(seconds "$start")

mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b/1048576}'; }
usb_bytes=$(stat -c %s "$work/out/usb.img")
usb_alloc=$(($(stat -c %b "$work/out/usb.img") * 512))
sq=$(stat -c %s "$work/out/root.squashfs")
floor_sq=$(stat -c %s "$work/floor.squashfs")

echo
echo "profile $profile"
printf '%-34s %10s %8s\n' "figure" "value" "ratio"
printf '%-34s %9ss %8s\n' "floor (mmdebstrap + mksquashfs)" "$floor" "1.00"
printf '%-34s %9ss %8s\n' "cold build" "$cold" "$(awk -v a="$cold" -v b="$floor" 'BEGIN {printf "%.2f", a/b}')"
printf '%-34s %9ss %8s\n' "warm rebuild (storaged changed)" "$warm" "$(awk -v a="$warm" -v b="$floor" 'BEGIN {printf "%.2f", a/b}')"
printf '%-34s %8s MiB %8s\n' "usb.img (apparent)" "$(mib "$usb_bytes")" ""
printf '%-34s %8s MiB %8s\n' "usb.img (allocated, sparse)" "$(mib "$usb_alloc")" ""
printf '%-34s %8s MiB %8s\n' "root.squashfs" "$(mib "$sq")" "$(awk -v a="$sq" -v b="$floor_sq" 'BEGIN {printf "%.2f", a/b}')"
printf '%-34s %8s MiB %8s\n' "floor squashfs (same packages)" "$(mib "$floor_sq")" "1.00"
echo "stage times of the cold build:"
sed -n '/^  stage/,/^  total/p' "$work/cold.log"
