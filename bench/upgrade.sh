#!/usr/bin/env bash
# Upgrade benchmark: in one guest run, the time `storagectl upgrade install`
# takes to install the qemu profile's signed bundle from a local file into
# slot B (verify every hash, then write root, kernel and initrd, hashing
# again), against `dd` of the same root payload to the same partition
# (conv=fsync), caches dropped before each. Prints figures and the ratio;
# asserts nothing. TCG only.
# Usage: bench/upgrade.sh [OUTDIR]   (default out/bench-upgrade, built with
# the TEST-ONLY key if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/bench-upgrade}
ironstor=target/release/ironstor
if [ ! -f "$out/update.bundle" ]; then
	"$ironstor" build images/qemu.toml --out "$out" --signing-key tests/keys/TEST-ONLY-qemu.key >&2
fi
run="$out/qemu-bios"
"$ironstor" qemu "$out" --quiet >/dev/null 2>&1 &
harness=$!
cleanup() {
	# Our own QEMU only: the child of the harness we started.
	for pid in $(pgrep -P "$harness" || true); do kill "$pid" 2>/dev/null || true; done
	kill "$harness" 2>/dev/null || true
	wait "$harness" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 600); do
	[ -f "$run/serial.log" ] && grep -qa "storaged ready" "$run/serial.log" && break
	sleep 1
done
grep -qa "storaged ready" "$run/serial.log" || { echo "bench/upgrade.sh: the guest did not come up" >&2; exit 1; }

python3 - "$run/shell.sock" "$out/update.bundle" <<'PY'
import os, socket, sys, time
sock_path, bundle = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)
class _F:
    def write(self, b):
        s.sendall(b)
f = _F()
n = 0
def run(cmd, timeout=1800):
    global n
    n += 1
    f.write(("{\n%s\n} </dev/null 2>&1; printf '%%s_%%s:%%s\\n' __BENCH %d $?\n" % (cmd, n)).encode())
    marker = ("__BENCH_%d:" % n).encode()
    out = b""
    s.settimeout(timeout)
    while marker not in out or not out.split(marker, 1)[1].count(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("the test shell closed")
        out += chunk
    text, status = out.split(marker, 1)
    if int(status.split(b"\n")[0]) != 0:
        raise SystemExit("guest command failed: %s\n%s" % (cmd, text.decode(errors="replace")))
    return text.decode(errors="replace")

run("true", 120)
size = os.path.getsize(bundle)
# The bundle goes in raw over the virtio port: bash reads its command line
# a byte at a time from a non-seekable input, so head gets what follows.
n += 1
f.write(("head -c %d > /var/tmp/update.bundle; printf '%%s_%%s:%%s\\n' __BENCH %d $?\n" % (size, n)).encode())
t = time.time()
with open(bundle, "rb") as b:
    while True:
        chunk = b.read(1 << 20)
        if not chunk:
            break
        f.write(chunk)
out = b""
marker = ("__BENCH_%d:" % n).encode()
s.settimeout(600)
while marker not in out:
    out += s.recv(65536)
copy = time.time() - t
got = run("stat -c %s /var/tmp/update.bundle").strip()
assert int(got) == size, (got, size)
run("tar -xOf /var/tmp/update.bundle root.squashfs > /var/tmp/root.squashfs")
root = int(run("stat -c %s /var/tmp/root.squashfs").strip())
part = "/dev/disk/by-partlabel/ironstor-root-b"
def timed(cmd):
    # Host wall time around the command (the round trip over the port is
    # milliseconds); caches dropped first.
    run("sync; echo 3 > /proc/sys/vm/drop_caches")
    t = time.time()
    run(cmd)
    return time.time() - t
dd1 = timed("dd if=/var/tmp/root.squashfs of=%s bs=4M conv=fsync status=none" % part)
install = timed("storagectl --timeout 3600 upgrade install /var/tmp/update.bundle")
dd2 = timed("dd if=/var/tmp/root.squashfs of=%s bs=4M conv=fsync status=none" % part)
dd = (dd1 + dd2) / 2
mib = lambda x: x / (1 << 20)
print("bundle %.1f MiB (root payload %.1f MiB), copied into the guest in %.1f s" % (mib(size), mib(root), copy))
print("%-52s %9s %9s %7s" % ("", "seconds", "MiB/s", "ratio"))
print("%-52s %9.1f %9.1f %7s" % ("dd root payload to slot B (conv=fsync), mean of 2", dd, mib(root) / dd, "1.00"))
print("%-52s %9.1f %9.1f %7.2f" % ("storagectl upgrade install (verify, then write)", install, mib(size) / install, install / dd))
print("dd runs: %.1f s, %.1f s" % (dd1, dd2))
PY
