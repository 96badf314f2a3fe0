#!/usr/bin/env bash
# Run the README's two commands the way a new user meets them: on a fresh Debian 12 (bookworm) root built with
# debootstrap (nothing added but git and python3), holding a clone of this repository's committed HEAD.
# Prints each command's outcome (pytest's closing line for the tests) and how long it took.
#
#   sudo bash scripts/fresh-check.sh            # amd64 (or whatever this machine is)
#   sudo bash scripts/fresh-check.sh arm64      # a Pi's architecture, emulated by qemu-user where the host is not
#
# Not part of the test command: it needs root, debootstrap and the network to Debian's mirror and PyPI, and takes
# minutes (amd64) to hours (arm64 under emulation). What it leaves: the logs and a summary in
# $FRESH_CHECK_DIR/<arch>-<time>/ (the root itself is removed unless FRESH_CHECK_KEEP_ROOT=1).
#
# Environment:
#   FRESH_CHECK_DIR         work folder (default /var/tmp/wallboard-fresh-check); the pristine debootstrap root is
#                           cached there as bookworm-<arch>.tar and unpacked anew for every run (FRESH_CHECK_NO_CACHE=1
#                           builds it anew)
#   FRESH_CHECK_MIRROR      Debian mirror (default http://deb.debian.org/debian)
#   WALLBOARD_TEST_TIME_FACTOR  passed to the tests (see tests/conftest.py); default 1, or 6 for an emulated arch
#   FRESH_CHECK_DEMO_SECONDS    the demo's --duration (default 20, as the README's check)
#   FRESH_CHECK_CA_FILE     the CA bundle pip in the root trusts (default: this machine's, for a TLS-inspecting proxy)
set -euo pipefail

arch=${1:-$(dpkg --print-architecture)}
case "$arch" in
amd64 | arm64) ;;
*)
    echo "usage: $0 [amd64|arm64]" >&2
    exit 2
    ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${FRESH_CHECK_DIR:-/var/tmp/wallboard-fresh-check}
mirror=${FRESH_CHECK_MIRROR:-http://deb.debian.org/debian}
demo_seconds=${FRESH_CHECK_DEMO_SECONDS:-20}
host_arch=$(dpkg --print-architecture)

say() { echo "fresh-check[$arch]: $*"; }
die() {
    say "$*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts): sudo bash $0 $arch"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
emulated=0
if [ "$arch" != "$host_arch" ]; then
    emulated=1
    # qemu-user-static registers itself with binfmt_misc (flag F), so the chroot needs no copy of the emulator.
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] ||
        die "no qemu-user for $arch: apt-get install qemu-user-static binfmt-support (then update-binfmts --enable qemu-aarch64)"
fi
factor=${WALLBOARD_TEST_TIME_FACTOR:-$((emulated ? 6 : 1))}

commit=$(git -C "$repo" rev-parse HEAD)
branch=$(git -C "$repo" rev-parse --abbrev-ref HEAD)
dirty=$(git -C "$repo" status --porcelain --untracked-files=no | wc -l)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
run="$work/$arch-$stamp"
root="$run/root"
mkdir -p "$run"
summary="$run/summary.txt"
say "run folder $run; repository $repo at $commit ($branch)$([ "$dirty" -eq 0 ] || echo ", $dirty uncommitted changes NOT included")"

mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
    if [ "${FRESH_CHECK_KEEP_ROOT:-0}" != 1 ] && [ -d "$root" ]; then
        # Never delete through a mount that failed to come off.
        if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; fi
    fi
}
trap cleanup EXIT

# 1. The pristine root: debootstrap's default set, plus git and python3 (the README assumes both).
base="$work/bookworm-$arch.tar"
if [ ! -f "$base" ] || [ "${FRESH_CHECK_NO_CACHE:-0}" = 1 ]; then
    say "debootstrap bookworm $arch from $mirror (once; cached as $base)"
    t0=$(date +%s)
    build="$work/build-$arch"
    rm -rf "$build"
    debootstrap --arch="$arch" --include=git,python3 bookworm "$build" "$mirror" >"$run/debootstrap.log" 2>&1 ||
        die "debootstrap failed: see $run/debootstrap.log"
    tar -C "$build" -cf "$base.part" . && mv "$base.part" "$base"
    rm -rf "$build"
    say "debootstrap took $(($(date +%s) - t0)) s"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
# A fresh machine's apt sources (debootstrap writes only the main suite) and a resolver to reach them.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# Behind a TLS-inspecting proxy PyPI answers with the proxy's certificate: pip in the root trusts what this
# machine trusts (a file beside the system's own bundle, named by PIP_CERT; the root's packages are untouched).
ca_env=()
host_ca=${FRESH_CHECK_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$host_ca" ]; then
    cp -L "$host_ca" "$root/etc/fresh-check-host-ca.crt"
    ca_env=(PIP_CERT=/etc/fresh-check-host-ca.crt SSL_CERT_FILE=/etc/fresh-check-host-ca.crt)
fi

for fs in proc sys dev/pts dev/shm; do
    mkdir -p "$root/$fs"
    case $fs in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sysfs "$root/sys" ;;
    dev/pts) mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" ;;
    dev/shm) mount -t tmpfs -o mode=1777 shm "$root/dev/shm" ;;
    esac
    mounted+=("$root/$fs")
done
# pty pairs (the serial tests) open /dev/ptmx: point it at this devpts instance.
rm -f "$root/dev/ptmx" && ln -s pts/ptmx "$root/dev/ptmx"

# 2. The repository as a new user gets it: a clone of the committed HEAD.
git clone -q --no-hardlinks "$repo" "$root/root/wallboard"
git -C "$root/root/wallboard" checkout -q --detach "$commit"

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        WALLBOARD_TEST_TIME_FACTOR="$factor" "${ca_env[@]}" bash -c "cd /root/wallboard && $1"
}

# 3. The README's two commands.
say "test command: bash scripts/test.sh (WALLBOARD_TEST_TIME_FACTOR=$factor; log $run/test.log)"
t0=$(date +%s)
test_status=0
in_root "bash scripts/test.sh" >"$run/test.log" 2>&1 || test_status=$?
test_seconds=$(($(date +%s) - t0))
test_line=$(grep -E "^=+ .*(passed|failed|error).* in [0-9.]+s" "$run/test.log" | tail -1 || true)

say "demo: bash scripts/demo.sh --duration $demo_seconds (log $run/demo.log)"
t0=$(date +%s)
demo_status=0
in_root "bash scripts/demo.sh --duration $demo_seconds" >"$run/demo.log" 2>&1 || demo_status=$?
demo_seconds_taken=$(($(date +%s) - t0))

{
    echo "fresh-check $arch (host $host_arch$([ "$emulated" -eq 0 ] || echo ", emulated by qemu-user")), commit $commit, $stamp"
    echo "test command: exit $test_status in $test_seconds s: ${test_line:-no pytest summary line (see test.log)}"
    grep -E "^(FAILED|ERROR) " "$run/test.log" | sed 's/^/  /' || true
    echo "demo: exit $demo_status in $demo_seconds_taken s: $(tail -n 3 "$run/demo.log" | tr '\n' ' ')"
} | tee "$summary"
[ "$test_status" -eq 0 ] && [ "$demo_status" -eq 0 ]
