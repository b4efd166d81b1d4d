#!/usr/bin/env bash
# Reconcile benchmark. Prints figures; asserts nothing.
#
#   fresh boot    reconcile of 1 pool, 20 datasets and 100 zvols after a
#                 reboot: import the pool, then create everything
#   all in place  the same reconcile again: observe and plan, no action
#   planning      the pure planner alone over the converged observation
#
# Against storaged's fake zpool/zfs (no root, no disks): the figures are
# storaged's own cost; the command counts are what the real tools multiply.
# Usage: bench/reconcile.sh [ROUNDS]   (default 20, the median is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || PATH="$HOME/.cargo/bin:$PATH"
cargo run --quiet --release --locked -p storaged --example reconcile -- "${1:-20}"
