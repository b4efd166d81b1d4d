#!/usr/bin/env bash
# Boot benchmark: wall time from QEMU start to "storaged ready" on the
# serial console, for the qemu profile booted three ways in the same run:
# SeaBIOS with the stick on xhci (the baseline), SeaBIOS with it on EHCI,
# and OVMF on xhci. Prints figures and ratios; asserts nothing. TCG only.
# Usage: bench/boot.sh [OUTDIR]   (default out/ironstor-qemu, built first)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/ironstor-qemu}
[ -f "$out/image.toml" ] || { echo "bench/boot.sh: no image in $out; run scripts/build-image images/qemu.toml first" >&2; exit 1; }
ironstor=target/release/ironstor

boot_seconds() { # firmware-flag usb
	local flag=$1 usb=$2 run log start
	run="$out/qemu-$([ -n "$flag" ] && echo uefi || echo bios)"
	log="$run/serial.log"
	rm -f "$log" # the previous boot's log must not count for this one
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	"$ironstor" qemu "$out" $flag --usb "$usb" --quiet >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 1 600); do
		if [ -f "$log" ] && grep -qa "storaged ready" "$log"; then
			echo "$(($(date +%s%N) - start))" | awk '{printf "%.1f", $1/1e9}'
			kill "$pid" 2>/dev/null; pkill -f "process=ironstor-qemu" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			return
		fi
		sleep 1
	done
	kill "$pid" 2>/dev/null || true
	echo "timeout"
}

xhci=$(boot_seconds "" xhci)
ehci=$(boot_seconds "" ehci)
uefi=$(boot_seconds "--uefi" xhci)
ratio() { awk -v a="$1" -v b="$xhci" 'BEGIN {if (a+0 > 0 && b+0 > 0) printf "%.2f", a/b; else print "-"}'; }
printf '%-28s %10s %8s\n' "boot to storaged ready" "seconds" "ratio"
printf '%-28s %10s %8s\n' "SeaBIOS, stick on xhci" "$xhci" "1.00"
printf '%-28s %10s %8s\n' "SeaBIOS, stick on EHCI" "$ehci" "$(ratio "$ehci")"
printf '%-28s %10s %8s\n' "OVMF, stick on xhci" "$uefi" "$(ratio "$uefi")"
