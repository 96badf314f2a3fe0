#!/usr/bin/env bash
# The installed appliance in a virtual machine: builds a disk image the way docs/deployment.md tells a site to
# build an SD-card image (debootstrap, then `systemd/install.sh --no-start` inside the image's chroot), boots it
# under QEMU with virtio-vga at 1920x1080 and the site's broker (mosquitto) inside the guest, reached from here only
# through a QEMU port forward on 127.0.0.1, and checks what a site would see:
#   1. the unit comes up and publishes its first status within a bound (time after power-on);
#   2. fed by the simulator, the board's own screenshot over MQTT shows the configured board live (its text twin);
#   3. QEMU's screendump (the guest's real scan-out) holds the board's pixels (first such frame's time);
#   4. the status names the driver and renderer, and says nothing is dark or failing.
#
#   sudo bash scripts/vm-check.sh                 # the image as install.sh leaves it
#   sudo bash scripts/vm-check.sh --with-libgl1   # the same plus libgl1 (desktop GL), which once made SDL draw black
#   sudo bash scripts/vm-check.sh --small-vram    # QEMU's standard VGA (bochs-drm, 16 MB) instead of virtio-vga: too
#                                                 # little memory for two 1080p buffers; the status must say so
#   sudo bash scripts/vm-check.sh --crash-gpu-at-open  # the board's GPU renderer kills it at set_mode (simulated):
#                                                 # systemd restarts it, the next start takes the safe path and says so
#   sudo bash scripts/vm-check.sh --power-cut     # then QEMU quits mid-run (a hard power cut) and boots again with no
#                                                 # data on the broker: the cached values must show, stale, with ages
#   sudo bash scripts/vm-check.sh --bridged-site  # the image is also a bridged site (docs/deployment.md §11: stunnel
#                                                 # with our drop-in, bridge-site.conf) and runs the fleet page's unit
#                                                 # (docs/fleet.md "As a service"); a centre over TLS on this host:
#                                                 # scripts/vm_check_site.py checks them under the guest's systemd
#
# Not part of the test command (root, debootstrap, the network to Debian and PyPI, minutes of work). The guest
# runs under software emulation with a CPU model without AVX2 (-cpu max,-avx2: llvmpipe's AVX2 code crashes
# under QEMU's emulation of it), or under KVM with VM_CHECK_ACCEL=kvm. Leaves everything in $VM_CHECK_DIR/<time>/: the serial log (the
# guest's journal is forwarded to it), the screendumps, the board's screenshot and text twin, a summary.
#
# Environment: VM_CHECK_DIR (default /var/tmp/wallboard-vm-check; the debootstrap root is cached there),
# VM_CHECK_MIRROR (default http://deb.debian.org/debian), VM_CHECK_BOOT_LIMIT (seconds for the first status,
# default 600), VM_CHECK_ACCEL (tcg or kvm), VM_CHECK_CA_FILE (the CA bundle pip in the image trusts while it is built; default this machine's).
set -euo pipefail

libgl1=0
gpu=virtio
crash=0
power_cut=0
bridged=0
for arg in "$@"; do
    case "$arg" in
    --with-libgl1) libgl1=1 ;;
    --small-vram) gpu=small-vram ;;
    --crash-gpu-at-open) crash=1 ;;
    --power-cut) power_cut=1 ;;
    --bridged-site) bridged=1 ;;
    *)
        echo "usage: $0 [--with-libgl1] [--small-vram] [--crash-gpu-at-open] [--power-cut | --bridged-site]" >&2
        exit 2
        ;;
    esac
done
((power_cut + bridged < 2)) || { echo "vm-check: --power-cut and --bridged-site are separate runs" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${VM_CHECK_DIR:-/var/tmp/wallboard-vm-check}
mirror=${VM_CHECK_MIRROR:-http://deb.debian.org/debian}
boot_limit=${VM_CHECK_BOOT_LIMIT:-600}
say() { echo "vm-check: $*"; }
die() {
    say "$*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mkfs): sudo bash $0"
for tool in debootstrap:debootstrap qemu-system-x86_64:qemu-system-x86 mkfs.ext4:e2fsprogs mosquitto_sub:mosquitto-clients; do
    command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} is missing: apt-get install ${tool##*:}"
done
if ((bridged)); then  # the centre runs on this host
    for tool in mosquitto:mosquitto mosquitto_passwd:mosquitto openssl:openssl; do
        command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} is missing: apt-get install ${tool##*:}"
    done
fi
[ -x "$repo/.venv/bin/wallboard" ] || die "no .venv here: run bash scripts/setup-env.sh first (the host's tools)"

commit=$(git -C "$repo" rev-parse HEAD)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
run="$work/$stamp$([ "$libgl1" -eq 0 ] || echo -libgl1)$([ "$gpu" = virtio ] || echo "-$gpu")$([ "$crash" -eq 0 ] || echo -crash)$([ "$power_cut" -eq 0 ] || echo -power-cut)$([ "$bridged" -eq 0 ] || echo -bridged-site)"
root="$run/root"
mkdir -p "$run"
summary="$run/summary.txt"
say "run folder $run; repository at $commit"

mounted=()
qemu_pid=""
cleanup() {
    local i
    [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[i]}" 2>/dev/null || true
    done
    if [ -d "$root" ] && ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; fi
}
trap cleanup EXIT

# 1. The image's root: Debian 12 with a kernel, systemd, the broker, git and python3 (cached once).
base="$work/bookworm-amd64-vm.tar"
if [ ! -f "$base" ]; then
    say "debootstrap bookworm amd64 with a kernel (once; cached as $base)"
    build="$work/build"
    rm -rf "$build"
    debootstrap --include=linux-image-amd64,systemd-sysv,udev,dbus,kmod,git,python3,ca-certificates,mosquitto \
        bookworm "$build" "$mirror" >"$run/debootstrap.log" 2>&1 || die "debootstrap failed: $run/debootstrap.log"
    tar -C "$build" -cf "$base.part" . && mv "$base.part" "$base"
    rm -rf "$build"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
ca_env=()
host_ca=${VM_CHECK_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$host_ca" ]; then
    cp -L "$host_ca" "$root/etc/vm-check-host-ca.crt"
    ca_env=(PIP_CERT=/etc/vm-check-host-ca.crt)
fi
for fs in proc sys dev/pts; do
    case $fs in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sysfs "$root/sys" ;;
    dev/pts) mount -t devpts -o newinstance devpts "$root/dev/pts" ;;
    esac
    mounted+=("$root/$fs")
done

# 2. docs/deployment.md, "In a chroot (building an SD-card image)": the project, then install.sh inside the root.
git clone -q --no-hardlinks "$repo" "$root/root/wallboard"
git -C "$root/root/wallboard" checkout -q --detach "$commit"
say "install.sh --no-start in the image's chroot (log $run/install.log)"
t0=$(date +%s)
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "${ca_env[@]}" \
    bash -c "cd /root/wallboard && systemd/install.sh --no-start" >"$run/install.log" 2>&1 ||
    die "install.sh failed in the chroot: $run/install.log"
say "install.sh took $(($(date +%s) - t0)) s"
if ((libgl1)); then
    chroot "$root" apt-get install -y -qq --no-install-recommends libgl1 >>"$run/install.log" 2>&1
    say "added libgl1 (desktop GL) to the image"
fi
if ((crash)); then
    # A stand-in for a GPU driver that segfaults at set_mode (llvmpipe's JIT under emulated AVX2 did): a .pth file
    # in the venv (Debian's own sitecustomize.py would shadow one there) loads it into every start of the board;
    # it kills the process whenever the GPU renderer, not software, is being opened.
    site_packages=("$root"/opt/wallboard/venv/lib/python3*/site-packages)
    echo "import vm_check_crashing_gpu" >"${site_packages[0]}/vm_check_crashing_gpu.pth"
    cat >"${site_packages[0]}/vm_check_crashing_gpu.py" <<'CRASH'
import os
import signal

import pygame.display

_set_mode = pygame.display.set_mode


def _crashing_set_mode(*args, **kwargs):
    gpu = os.environ.get("SDL_FRAMEBUFFER_ACCELERATION") == "opengles2" and not os.environ.get("LIBGL_ALWAYS_SOFTWARE")
    if gpu:
        os.kill(os.getpid(), signal.SIGSEGV)
    return _set_mode(*args, **kwargs)


pygame.display.set_mode = _crashing_set_mode
CRASH
    say "the image's GPU renderer now crashes the board at set_mode (vm_check_crashing_gpu.pth in the venv)"
fi

free_port() { "$repo/.venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
if ((bridged)); then
    # docs/deployment.md §11 (the site's half) and docs/fleet.md "As a service", as the docs write them, in the
    # chroot (scripts/vm_check_site.py says what a chroot changes); the centre, central.example, is this host.
    centre_port=$(free_port)
    "$repo/.venv/bin/python" "$repo/scripts/vm_check_site.py" steps "$run" "$centre_port" >"$root/root/site-steps.sh"
    cp "$run/centre/ca.crt" "$root/root/wallboard/ca.crt"
    say "the bridged site's steps in the chroot (log $run/site-steps.log)"
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "${ca_env[@]}" \
        bash -c "cd /root/wallboard && bash /root/site-steps.sh" >"$run/site-steps.log" 2>&1 ||
        die "the bridged site's steps failed in the chroot: $run/site-steps.log"
    # The check's command channel (not part of a site's image): a root shell on the second serial port, one
    # command a line, its output back in base64 (scripts/vm_check_site.py's Guest).
    cat >"$root/usr/local/sbin/vm-check-shell" <<'SHELL'
#!/bin/bash
stty -F /dev/ttyS1 115200 raw -echo
exec </dev/ttyS1 >/dev/ttyS1 2>/dev/null
while IFS= read -r command; do
    output=$(timeout 120 bash -c "$command" 2>&1)
    status=$?
    printf '@@out %s\n@@rc %s\n' "$(printf '%s' "$output" | base64 -w0)" "$status"
done
SHELL
    chmod 0755 "$root/usr/local/sbin/vm-check-shell"
    printf '[Unit]\nDescription=vm-check command channel on ttyS1\n[Service]\nExecStart=/usr/local/sbin/vm-check-shell\nRestart=always\n[Install]\nWantedBy=multi-user.target\n' \
        >"$root/etc/systemd/system/vm-check-shell.service"
    chroot "$root" systemctl enable -q vm-check-shell
fi

# What a site does by hand after the install, and what a VM needs instead of a Pi's firmware:
# - the broker on the board itself, reachable from the host through the port forward (site docs: config/mosquitto);
# - section 1, step 3 of docs/deployment.md (the console never blanks the TV) goes on the kernel's command line;
# - a root file system, a wired network by DHCP, the journal copied to the serial port (the check's log).
cat >"$root/etc/mosquitto/conf.d/vm-check.conf" <<'EOF'
listener 1883
allow_anonymous true
# Nothing retained survives a restart: after the power cut the board gets no data from the broker.
persistence false
EOF
echo "/dev/vda / ext4 defaults 0 1" >"$root/etc/fstab"
echo wb-vm-check >"$root/etc/hostname"
mkdir -p "$root/etc/systemd/network" "$root/etc/systemd/journald.conf.d"
printf '[Match]\nName=en*\n[Network]\nDHCP=yes\n' >"$root/etc/systemd/network/20-wired.network"
printf '[Journal]\nForwardToConsole=yes\nTTYPath=/dev/ttyS0\nMaxLevelConsole=info\n' \
    >"$root/etc/systemd/journald.conf.d/serial.conf"
chroot "$root" systemctl enable -q systemd-networkd mosquitto
chroot "$root" systemctl is-enabled wallboard.service >/dev/null || die "install.sh left wallboard.service disabled"

for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}"; done
mounted=()
kernels=("$root"/boot/vmlinuz-*)
initrds=("$root"/boot/initrd.img-*)
kernel=${kernels[-1]}
initrd=${initrds[-1]}
cp "$kernel" "$run/vmlinuz"
cp "$initrd" "$run/initrd.img"
say "disk image (ext4 from the root; log $run/mkfs.log)"
truncate -s 6G "$run/disk.raw"
mkfs.ext4 -q -F -L wallboard -d "$root" "$run/disk.raw" >"$run/mkfs.log" 2>&1 || die "mkfs.ext4 failed: $run/mkfs.log"
rm -rf "$root"

# 3. Power on.
port=$(free_port)
# Software emulation by default: where this was written, /dev/kvm opened but the nested guest's kernel hung
# before its first line. VM_CHECK_ACCEL=kvm uses KVM where it works.
accel=(-accel tcg -cpu "max,-avx2")
if [ "${VM_CHECK_ACCEL:-tcg}" = kvm ]; then accel=(-accel kvm -cpu host); fi
gpu_device=(-device "virtio-vga,xres=1920,yres=1080")
[ "$gpu" = virtio ] || gpu_device=(-device "VGA,xres=1920,yres=1080,vgamem_mb=16")
say "booting (${accel[*]}; ${gpu_device[*]}; broker forwarded to 127.0.0.1:$port; serial log $run/serial.log)"
power_on=$(date +%s.%N)
qemu=(qemu-system-x86_64 "${accel[@]}" -m 2048 -smp 2 -nodefaults -no-user-config
    -kernel "$run/vmlinuz" -initrd "$run/initrd.img"
    -append "root=/dev/vda rw console=ttyS0 consoleblank=0 vt.global_cursor_default=0"
    -drive "file=$run/disk.raw,format=raw,if=virtio"
    "${gpu_device[@]}" -display none
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:1883" -device "virtio-net-pci,netdev=net0"
    -serial "file:$run/serial.log" -qmp "unix:$run/qmp.sock,server=on,wait=off")
((bridged == 0)) || qemu+=(-chardev "socket,id=ctl,path=$run/ctl.sock,server=on,wait=off" -device "isa-serial,chardev=ctl")
printf '%s\n' "${qemu[@]}" >"$run/qemu-command"  # the power cut's second boot starts the same machine
"${qemu[@]}" &
qemu_pid=$!

# 4. The checks, from the host: MQTT through the forward, the scan-out through QEMU's monitor.
"$repo/.venv/bin/python" - "$run" "$port" "$power_on" "$boot_limit" "$repo" "$gpu" "$crash" "$power_cut" \
    <<'PYTHON' | tee "$summary"
import json, os, socket, subprocess, sys, time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

from wallboard.display.renderers import frame_shows

run, port, power_on, limit, repo = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5])
venv = repo / ".venv/bin"
topic = "wallboard/london/floor1/status"
results: list[tuple[str, bool, str]] = []


def since() -> float:
    return time.time() - power_on


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok, detail))
    print(f"vm-check: {'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def status() -> dict | None:
    got = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-C", "1", "-W", "3"],
                         capture_output=True, text=True)
    try:
        return json.loads(got.stdout) if got.returncode == 0 and got.stdout.strip() else None
    except ValueError:
        return None


def screendump(path: Path) -> pygame.Surface | None:
    with socket.socket(socket.AF_UNIX) as qmp:
        qmp.connect(str(run / "qmp.sock"))
        qmp.settimeout(10)
        reader = qmp.makefile("rwb")
        reader.readline()
        for command in ({"execute": "qmp_capabilities"},
                        {"execute": "screendump", "arguments": {"filename": str(path)}}):
            reader.write(json.dumps(command).encode() + b"\n")
            reader.flush()
            while True:
                answer = json.loads(reader.readline())
                if "return" in answer or "error" in answer:
                    break
    return pygame.image.load(str(path)) if path.exists() else None


first_status = None
deadline = time.time() + limit
while time.time() < deadline:
    doc = status()
    if doc and doc.get("status") == "online" and isinstance(doc.get("display"), dict):
        first_status = doc
        break
    time.sleep(2)
check("first status", first_status is not None,
      f"{since():.0f} s after power-on" if first_status else f"none within {limit:.0f} s (see serial.log)")
if first_status is None:
    sys.exit(1)

simulator = subprocess.Popen([str(venv / "wallboard"), "simulate", "--broker", f"127.0.0.1:{port}", "--site", "london",
                              "--queues", "sales", "--duration", "120", "--seed", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(15)
shot = run / "board-screenshot.png"
for _ in range(3):  # an emulated board on a loaded host can take longer than fleet's 10 s to encode the PNG
    fetched = subprocess.run([str(venv / "wallboard"), "fleet", "--broker", f"127.0.0.1:{port}", "--screenshot",
                              "london/floor1", "--out", str(shot), "--max-width", "1920"], capture_output=True, text=True)
    if fetched.returncode == 0:
        break
twin_path = shot.with_suffix(".json")
twin = json.loads(twin_path.read_text()) if twin_path.exists() else {}
strip = " | ".join(str(item.get("text")) for item in (twin.get("status_strip") or {}).get("texts") or [])
fed = [w.get("shown") for w in twin.get("widgets") or [] if w.get("shown") is not None]
check("board screenshot over MQTT", fetched.returncode == 0 and shot.exists() and (twin.get("site"), twin.get("board")) == ("london", "floor1")
      and bool(fed) and "LIVE" in strip,
      f"{shot.name}, twin {twin_path.name}: {twin.get('site')}/{twin.get('board')}, page {(twin.get('page') or {}).get('name')}, "
      f"strip {strip!r}, tiles show {fed} ({fetched.stderr.strip()[-200:]})")

pygame.init()
board = pygame.image.load(str(shot)) if shot.exists() else None
first_frame = None
dump = None
for attempt in range(60):
    dump_path = run / "screendump.ppm"  # each attempt overwrites the last (6 MB a frame)
    dump = screendump(dump_path)
    if dump is not None and board is not None and frame_shows(pygame.transform.smoothscale(board, dump.get_size()), dump, tolerance=64):
        first_frame = since()
        pygame.image.save(dump, str(run / "screendump.png"))
        break
    time.sleep(2)
if dump is not None and first_frame is None:
    pygame.image.save(dump, str(run / "screendump.png"))
check("scan-out (QEMU screendump) shows the board", first_frame is not None,
      f"screendump.png {dump.get_size() if dump else None} matches the board's screenshot {first_frame:.0f} s after "
      "power-on (looked for only once the screenshot was fetched: an upper bound)"
      if first_frame else "screendump.png does not hold the board's pixels")

opened = [line for line in (run / "serial.log").read_text(errors="replace").splitlines() if "on SDL driver" in line]
print(f"vm-check: the board's log: {opened[0].strip() if opened else 'no screen opened'} (kernel seconds since boot)")
doc = status() or {}
display = doc.get("display") or {}
check("status names driver and renderer", display.get("driver") == "kmsdrm" and bool(display.get("renderer")),
      f"driver {display.get('driver')}, renderer {display.get('renderer')}, state {display.get('state')}, "
      f"safe_mode {display.get('safe_mode')!r}, dark {display.get('dark_renderers')}, "
      f"present errors {display.get('present_errors')} {display.get('last_present_error')!r}")
check("status says the screen shows", display.get("showing") is True and display.get("state") == "ok",
      f"showing {display.get('showing')}")
if sys.argv[6] == "small-vram":
    check("status reports the failed page flips", (display.get("present_errors") or 0) > 0,
          f"present_errors {display.get('present_errors')}, last {display.get('last_present_error')!r}")
else:
    check("no failed presents", display.get("present_errors") == 0, f"present_errors {display.get('present_errors')}")
if sys.argv[7] == "1":
    journal = (run / "serial.log").read_text(errors="replace")
    crashes = [line.strip() for line in journal.splitlines() if "wallboard.service: Main process exited" in line]
    by_signal = "Failed with result 'core-dump'" in journal or "Failed with result 'signal'" in journal
    check("the crash at open was a crash, and systemd restarted the board",
          bool(crashes) and by_signal and "Scheduled restart job" in journal,
          crashes[0] if crashes else "no crash in the journal")
    check("the next start took the safe path and says so", display.get("renderer") == "software" and
          "killed the board" in str(display.get("safe_mode")), f"safe_mode {display.get('safe_mode')!r}")
simulator.terminate()
if sys.argv[8] == "1":
    time.sleep(8)  # the board's cache commits at most every 5 s
    with socket.socket(socket.AF_UNIX) as qmp:  # a hard power cut: QEMU quits, the guest gets no shutdown
        qmp.connect(str(run / "qmp.sock"))
        io = qmp.makefile("rwb")
        io.readline()
        for command in ({"execute": "qmp_capabilities"}, {"execute": "quit"}):
            io.write(json.dumps(command).encode() + b"\n")
            io.flush()
            io.readline()
    cut = time.time()
    time.sleep(3)
    (run / "qmp.sock").unlink(missing_ok=True)
    again = [arg.replace(str(run / "serial.log"), str(run / "serial-2.log"))
             for arg in (run / "qemu-command").read_text().splitlines()]
    second = subprocess.Popen(again)
    power_on = time.time()
    try:
        doc = None
        deadline = time.time() + limit
        while time.time() < deadline and not (doc and doc.get("status") == "online" and doc.get("display")):
            time.sleep(2)
            doc = status()
        check("after the power cut: the board comes back", bool(doc), f"status {since():.0f} s after power-on")
        shot2 = run / "after-power-cut.png"
        widgets, stale = [], []
        deadline = time.time() + 300  # the cached values turn stale once older than default_stale_after (2 min)
        live: list = []
        while time.time() < deadline and not (stale and not live):
            time.sleep(15)
            subprocess.run([str(venv / "wallboard"), "fleet", "--broker", f"127.0.0.1:{port}", "--screenshot",
                            "london/floor1", "--out", str(shot2)], capture_output=True, text=True)
            twin2_path = shot2.with_suffix(".json")
            twin2 = json.loads(twin2_path.read_text()) if twin2_path.exists() else {}
            widgets = [w for w in twin2.get("widgets") or [] if w.get("metric")]
            stale = [w for w in widgets if w.get("stale") and (w.get("age_s") or 0) >= time.time() - cut - 5]
            live = [w for w in widgets if not w.get("stale") and w.get("age_s") is not None]
        data = (status() or {}).get("data") or {}
        check("after the power cut: the cached values show, stale, with their ages",
              bool(stale) and not live and data.get("stale") is True,
              f"{len(stale)} of {len(widgets)} data widgets stale, e.g. {stale[0].get('metric')} "
              f"{stale[0].get('shown')!r} {stale[0].get('age_s')} s old; status data.stale {data.get('stale')}"
              if stale else f"twin widgets {[(w.get('metric'), w.get('stale'), w.get('age_s')) for w in widgets]}")
    finally:
        second.terminate()
        second.wait(timeout=30)
failed = [name for name, ok, _ in results if not ok]
print(f"vm-check: {len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
PYTHON
if ((bridged)); then
    "$repo/.venv/bin/python" "$repo/scripts/vm_check_site.py" check "$run" "$centre_port" "$port" "$power_on" |
        tee -a "$summary"
fi
