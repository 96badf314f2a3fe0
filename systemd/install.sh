#!/usr/bin/env bash
# Install (or remove) the wallboard as a system service on Raspberry Pi OS Bookworm 64-bit.
#
#   sudo systemd/install.sh                 install or upgrade, enable and (re)start the service
#   sudo systemd/install.sh --no-start      install and enable, but do not start now
#   sudo systemd/install.sh --uninstall     stop and remove the service, code and udev rule;
#                                           keep /etc/wallboard, the cache and the user
#   sudo systemd/install.sh --uninstall --purge   ... and remove those too
#   systemd/install.sh --dry-run [...]      print what would be done, change nothing (no root needed)
#   sudo systemd/install.sh --root DIR      install into the tree DIR (a staging root: no packages, no
#                                           running udev/systemd touched; see docs/deployment.md)
#   sudo systemd/install.sh --feed ADAPTER  install a feed (asterisk, connect, genesys) instead of the board:
#                                           the code with its feed libraries, the wallboard-feed user, the
#                                           wallboard-feed@ unit enabled for ADAPTER, an example
#                                           /etc/wallboard/feed-ADAPTER.toml; started only once that file
#                                           was there before (an upgrade). Takes the options above too;
#                                           --uninstall --feed ADAPTER disables that feed (see docs/feeds.md).
#
# Idempotent: running it again upgrades the code and unit and changes nothing else. It never overwrites
# /etc/wallboard/board.toml, site.toml, feed-ADAPTER.toml or /etc/default/wallboard once they exist. It
# refuses 32-bit ARM (armhf/armv7l) and a Python older than 3.11: the board's compiled dependencies have no
# wheels there.
# In a chroot (an image build) with no udev or systemd running, the reloads are skipped with a note.
# What it does, step by step, is described in docs/deployment.md.
set -euo pipefail

SERVICE_USER=wallboard
GROUPS_NEEDED=(video render input gpio dialout audio)
# The OS's Python with venv, the board's typeface, and the libraries SDL (inside pygame-ce's wheel) loads
# at run time with dlopen and does not bundle: libdrm2, libgbm1, libegl1 + libegl-mesa0, libgles2 and the
# Mesa DRI drivers (libgl1-mesa-dri: vc4/v3d on a Pi) for drawing on the console through KMS/DRM; libudev1
# for finding the screen and input devices; libasound2 (and its data, ALSA's config) for chimes.
# These serve the renderers the board asks for on kmsdrm: opengles2, then software (Mesa's kms_swrast from
# libgl1-mesa-dri). Not libgl1: the board names its renderer, so desktop GL's presence changes nothing.
# How this list was found: docs/deployment.md ("What install.sh installs and why").
APT_PACKAGES=(python3 python3-venv fonts-dejavu-core
    libdrm2 libgbm1 libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri libudev1 libasound2)
# The dependencies pip must find as wheels: compiled code that a Pi cannot sensibly build.
BINARY_ONLY=pygame-ce,msgspec,psutil
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
# A feed needs no screen, sound or pins: the OS's Python only, and a user of its own with no device groups.
FEED_APT_PACKAGES=(python3 python3-venv)
FEED_USER=wallboard-feed
# The adapters that ship an example config (config/feeds/<adapter>.toml), for messages.
feed_names() {
    local file names=()
    for file in "$SOURCE"/config/feeds/*.toml; do
        names+=("$(basename "$file" .toml)")
    done
    echo "${names[*]}"
}

action=install
purge=0
dry_run=0
start=1
ROOT=""
expect_root=0
feed=""
expect_feed=0
for arg in "$@"; do
    if ((expect_root)); then
        ROOT="${arg%/}"
        expect_root=0
        continue
    fi
    if ((expect_feed)); then
        feed="$arg"
        expect_feed=0
        continue
    fi
    case "$arg" in
        --uninstall) action=uninstall ;;
        --purge) purge=1 ;;
        --dry-run) dry_run=1 ;;
        --no-start) start=0 ;;
        --root) expect_root=1 ;;
        --root=*) ROOT="${arg#--root=}" ROOT="${ROOT%/}" ;;
        --feed) expect_feed=1 ;;
        --feed=*) feed="${arg#--feed=}" ;;
        -h | --help)
            sed -n '2,24p' "$0"
            exit 0
            ;;
        *)
            echo "install.sh: unknown option $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

if ((expect_root)) || { [ -n "$ROOT" ] && [ ! -d "$ROOT" ]; }; then
    echo "install.sh: --root needs an existing directory" >&2
    exit 2
fi
if ((expect_feed)); then
    echo "install.sh: --feed needs the platform's adapter: $(feed_names)" >&2
    exit 2
fi
if [ -n "$feed" ] && { ! [[ "$feed" =~ ^[a-z][a-z0-9_-]*$ ]] || [ ! -f "$SOURCE/config/feeds/$feed.toml" ]; }; then
    echo "install.sh: no feed '$feed': the adapters are $(feed_names)" >&2
    exit 2
fi
PREFIX="$ROOT/opt/wallboard"
CONF_DIR="$ROOT/etc/wallboard"
STATE_DIR="$ROOT/var/lib/wallboard"
UNIT="$ROOT/etc/systemd/system/wallboard.service"
RULES="$ROOT/etc/udev/rules.d/99-wallboard.rules"
DEFAULTS="$ROOT/etc/default/wallboard"
FEED_UNIT="$ROOT/etc/systemd/system/wallboard-feed@.service"
FEED_CONFIG="$CONF_DIR/feed-$feed.toml"
FEED_STATE_DIR="$ROOT/var/lib/wallboard-feed"

say() { echo "wallboard-install: $*"; }

# Every change goes through run, so --dry-run shows exactly what would be done.
run() {
    if ((dry_run)); then
        echo "+ $*"
    else
        "$@"
    fi
}

# write_file PATH MODE: the file's content comes on stdin.
write_file() {
    if ((dry_run)); then
        echo "+ write $1 (mode $2)"
        cat >/dev/null
    else
        install -D -m "$2" /dev/stdin "$1"
    fi
}

require_root() {
    if ((!dry_run)) && [ "$(id -u)" -ne 0 ]; then
        echo "install.sh: run as root (sudo), or with --dry-run to see what it would do" >&2
        exit 1
    fi
}

check_os() {
    local codename=""
    if [ -r /etc/os-release ]; then
        # shellcheck disable=SC1091
        codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    fi
    if [ "$codename" != "bookworm" ]; then
        say "warning: written for Raspberry Pi OS / Debian bookworm, this is '${codename:-unknown}'; carrying on"
    fi
}

# The board's compiled dependencies (pygame-ce with SDL, msgspec, psutil) come as wheels for 64-bit
# x86 and ARM only; on 32-bit ARM pip would try to compile them (hours on a Pi, and pygame-ce fails
# without SDL's development files), so the install stops here with what to do instead.
check_platform() {
    local arch python_facts version bits
    arch="$(dpkg --print-architecture 2>/dev/null || uname -m)"
    case "$arch" in
        arm64 | aarch64 | amd64 | x86_64) ;;
        armhf | armel | armv7l | armv6l | arm)
            echo "install.sh: this is 32-bit ARM ($arch): the board's dependencies (pygame-ce, msgspec, psutil)" \
                "publish no wheels for it, and building them on a Pi is not supported." >&2
            echo "  Install Raspberry Pi OS (64-bit) Bookworm Lite instead (Raspberry Pi Imager: 'Raspberry Pi OS" \
                "(other)' > 'Raspberry Pi OS Lite (64-bit)'); it runs on a Pi 3B+, 4, 5 and Zero 2 W. A Pi 1, 2 or Zero" \
                "(first model) cannot run 64-bit and is not supported." >&2
            exit 3
            ;;
        *)
            echo "install.sh: unsupported architecture '$arch': the board needs 64-bit ARM (arm64) or x86-64" >&2
            exit 3
            ;;
    esac
    if ! python_facts="$("$PYTHON" -c 'import struct, sys; print("%d.%d" % sys.version_info[:2], 8 * struct.calcsize("P"))' 2>/dev/null)"; then
        echo "install.sh: no working $PYTHON: install it with: sudo apt-get install python3 python3-venv" >&2
        exit 3
    fi
    read -r version bits <<<"$python_facts"
    if [ "$bits" != 64 ]; then
        echo "install.sh: $PYTHON is a ${bits}-bit build: the board's wheels are 64-bit only (see above for 32-bit ARM)" >&2
        exit 3
    fi
    if [ "${version%%.*}" -lt 3 ] || { [ "${version%%.*}" -eq 3 ] && [ "${version#*.}" -lt 11 ]; }; then
        echo "install.sh: $PYTHON is Python $version; the board needs 3.11 or newer (Bookworm's python3 is 3.11)." >&2
        echo "  Upgrade the OS to Bookworm, or point PYTHON= at a 3.11+ interpreter: sudo PYTHON=python3.11 $0" >&2
        exit 3
    fi
    say "platform: $arch, Python $version"
}

# install_packages PACKAGE...: the OS packages wanted (and, for the board, gpiozero's backend where it exists).
install_packages() {
    local wanted=("$@")
    if [ -n "$ROOT" ]; then
        local lgpio=" (and python3-lgpio on a Pi)"
        [ -z "$feed" ] || lgpio=""
        say "--root: not installing packages into $ROOT; the image needs: ${wanted[*]}$lgpio"
        return 0
    fi
    local missing=() package
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    # gpiozero's lgpio backend: the OS package on a Pi (the venv sees it through --system-site-packages).
    if [ -z "$feed" ] && apt-cache show python3-lgpio >/dev/null 2>&1 &&
        ! dpkg-query -W -f='${Status}' python3-lgpio 2>/dev/null | grep -q "install ok installed"; then
        missing+=(python3-lgpio)
    fi
    if ((${#missing[@]} == 0)); then
        say "packages: all present (${wanted[*]})"
    else
        say "installing packages: ${missing[*]}"
        run apt-get update -qq
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

create_user() {
    local group root_option=()
    [ -z "$ROOT" ] || root_option=(--root "$ROOT")
    for group in "${GROUPS_NEEDED[@]}"; do
        # On a PC some of the Pi's groups (gpio) do not exist, and systemd refuses to start a unit
        # whose SupplementaryGroups= names a missing group.
        grep -q "^$group:" "$ROOT/etc/group" 2>/dev/null || run groupadd "${root_option[@]}" --system "$group"
    done
    if ! grep -q "^$SERVICE_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
        say "creating system user $SERVICE_USER"
        run useradd "${root_option[@]}" --system --user-group --home-dir /var/lib/wallboard --no-create-home \
            --shell /usr/sbin/nologin --comment "Contact-centre wallboard" "$SERVICE_USER"
    fi
    # The unit grants these groups itself; membership also lets `sudo -u wallboard` test the hardware.
    run usermod "${root_option[@]}" --append --groups "$(
        IFS=,
        echo "${GROUPS_NEEDED[*]}"
    )" "$SERVICE_USER"
}

# install_code [EXTRAS]: the code into the venv, with pip's extras ("[feeds]" for a feed).
install_code() {
    local extras="${1:-}"
    say "installing the code into $PREFIX"
    run install -d -m 0755 "$PREFIX" "$PREFIX/src"
    # A clean copy of the source (no .git, no development venv), so the install does not depend on the checkout.
    run tar -C "$SOURCE" --exclude=.git --exclude='.venv*' --exclude='*.egg-info' --exclude=__pycache__ \
        --exclude=./dist --exclude=./build --exclude='./.*_cache' -cf "$PREFIX/src.tar" .
    run rm -rf "$PREFIX/src"
    run install -d -m 0755 "$PREFIX/src"
    run tar -C "$PREFIX/src" -xf "$PREFIX/src.tar"
    run rm -f "$PREFIX/src.tar"
    run rm -rf "$PREFIX/docs"
    run cp -r "$PREFIX/src/docs" "$PREFIX/docs"
    if [ ! -x "$PREFIX/venv/bin/python" ]; then
        run "$PYTHON" -m venv --system-site-packages "$PREFIX/venv"
    fi
    run "$PREFIX/venv/bin/python" -m pip install -q --upgrade pip
    # Wheels only for the compiled dependencies: a Python they publish no wheels for fails here, clearly,
    # instead of compiling for hours.
    if ! run "$PREFIX/venv/bin/python" -m pip install -q --upgrade --only-binary "$BINARY_ONLY" "$PREFIX/src$extras"; then
        echo "install.sh: pip could not install the board (above). If it says 'No matching distribution' for" \
            "$BINARY_ONLY, this Python has no wheels for them: use the OS's python3 on Raspberry Pi OS (64-bit)" \
            "Bookworm, or a Python that pygame-ce, msgspec and psutil publish wheels for." >&2
        exit 3
    fi
}

install_config() {
    run install -d -m 0755 "$CONF_DIR"
    run rm -rf "$CONF_DIR/examples"
    run cp -r "$SOURCE/config" "$CONF_DIR/examples"
    if [ ! -e "$CONF_DIR/site.toml" ]; then
        say "writing an example $CONF_DIR/site.toml (edit it: the broker's address)"
        write_file "$CONF_DIR/site.toml" 0644 <"$SOURCE/config/sites/london.toml"
    fi
    if [ ! -e "$CONF_DIR/board.toml" ]; then
        say "writing an example $CONF_DIR/board.toml (edit it: the board's id and rules)"
        sed 's#^extends = .*#extends = "site.toml"#' "$SOURCE/config/boards/floor1.toml" |
            write_file "$CONF_DIR/board.toml" 0644
    fi
    if [ ! -e "$DEFAULTS" ]; then
        write_file "$DEFAULTS" 0644 <<'EOF'
# Environment for the wallboard service (read by systemd; see docs/deployment.md).
# SDL_VIDEODRIVER=kmsdrm    # the default: draw on the console, no desktop
# GPIOZERO_PIN_FACTORY=lgpio
# SDL_AUDIODRIVER=alsa
EOF
    fi
}

install_unit() {
    say "installing the systemd unit and the udev rule"
    write_file "$UNIT" 0644 <"$SOURCE/systemd/wallboard.service"
    write_file "$RULES" 0644 <"$SOURCE/systemd/99-wallboard.rules"
    if udev_running; then
        run udevadm control --reload
        run udevadm trigger --subsystem-match=tty --action=add
    else
        say "note: udev is not running here (an image build in a chroot, a staging --root): the rule is in" \
            "place and takes effect at the next boot; skipping the udev reload"
    fi
    # The board owns tty1 (TTYPath= in the unit): no login prompt behind it. Log in over ssh or on tty2.
    if systemd_running; then
        run systemctl daemon-reload
        run systemctl enable wallboard.service
        run systemctl disable getty@tty1.service
    else
        say "note: systemd is not running here (a chroot or a staging --root): enabling the unit offline"
        run systemctl --root="${ROOT:-/}" enable wallboard.service
        if has_getty; then
            run systemctl --root="${ROOT:-/}" disable getty@tty1.service
        fi
    fi
}

# Does the (staging) root have systemd's getty template at all? (A bare staging root does not.)
has_getty() { [ -e "$ROOT/lib/systemd/system/getty@.service" ] || [ -e "$ROOT/usr/lib/systemd/system/getty@.service" ]; }

# A live udev and systemd on this machine (not a chroot, not a staging root)?
udev_running() { [ -z "$ROOT" ] && [ -S /run/udev/control ] && command -v udevadm >/dev/null; }
systemd_running() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

# check_config FILE USER UNIT: `wallboard check` FILE as USER (the one the unit runs as); say how to go on.
check_config() {
    local file="$1" user="$2" unit="$3"
    if ((dry_run)); then
        echo "+ check $file as $user"
        return 0
    fi
    local as_user=(runuser -u "$user" --)
    [ -z "$ROOT" ] || as_user=()
    if ! "${as_user[@]}" "$PREFIX/venv/bin/wallboard" check "$file"; then
        say "the config above has problems: fix it, then run: sudo systemctl restart $unit"
        return 1
    fi
}

do_install() {
    require_root
    check_os
    check_platform
    install_packages "${APT_PACKAGES[@]}"
    create_user
    install_code
    install_config
    install_unit
    if ((start)) && ! systemd_running; then
        check_config "$CONF_DIR/board.toml" "$SERVICE_USER" wallboard || true
        say "installed and enabled; systemd is not running here, so not started (it starts at boot)"
    elif ((start)) && check_config "$CONF_DIR/board.toml" "$SERVICE_USER" wallboard; then
        run systemctl restart wallboard.service
        say "started; follow it with: journalctl -u wallboard -f"
    else
        say "installed and enabled, not started"
    fi
}

do_uninstall() {
    require_root
    # A feed on this machine runs from the same code: removing it would leave the feed's unit failing at boot.
    local feeds=() link
    for link in "$ROOT"/etc/systemd/system/*.wants/wallboard-feed@*.service; do
        [ -e "$link" ] || [ -L "$link" ] || continue
        link="${link##*/wallboard-feed@}"
        feeds+=("${link%.service}")
    done
    if ((${#feeds[@]})); then
        echo "install.sh: the feed(s) ${feeds[*]} run from $PREFIX too: remove them first," \
            "with: sudo $0 --uninstall --feed ${feeds[0]}" >&2
        exit 1
    fi
    if systemd_running; then
        if systemctl list-unit-files wallboard.service >/dev/null 2>&1; then
            run systemctl disable --now wallboard.service || true
        fi
    elif [ -e "$UNIT" ]; then
        run systemctl --root="${ROOT:-/}" disable wallboard.service || true
    fi
    run rm -f "$UNIT" "$RULES"
    if systemd_running; then
        run systemctl daemon-reload
        run systemctl enable getty@tty1.service || true
    elif has_getty; then
        run systemctl --root="${ROOT:-/}" enable getty@tty1.service || true
    fi
    if udev_running; then
        run udevadm control --reload
    fi
    run rm -rf "$PREFIX"
    if ((purge)); then
        say "purging the config, the cache and the user"
        run rm -rf "$CONF_DIR" "$STATE_DIR" "$DEFAULTS"
        if grep -q "^$SERVICE_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
            if [ -n "$ROOT" ]; then run userdel --root "$ROOT" "$SERVICE_USER"; else run userdel "$SERVICE_USER"; fi
        fi
    else
        say "kept $CONF_DIR, $STATE_DIR and the $SERVICE_USER user (--purge removes them)"
    fi
}

# ---- a feed (--feed ADAPTER): the platform's API to the site's broker; no screen, sound or pins ----

create_feed_user() {
    local root_option=()
    [ -z "$ROOT" ] || root_option=(--root "$ROOT")
    if ! grep -q "^$FEED_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
        say "creating system user $FEED_USER"
        run useradd "${root_option[@]}" --system --user-group --home-dir /var/lib/wallboard-feed --no-create-home \
            --shell /usr/sbin/nologin --comment "Contact-centre wallboard feed" "$FEED_USER"
    fi
}

# The feed's config, readable by its user and not by others (it names the broker's user and the secrets'
# files); the secrets themselves go in /etc/wallboard/secrets, root's only, handed over by systemd.
install_feed_config() {
    run install -d -m 0755 "$CONF_DIR"
    run rm -rf "$CONF_DIR/examples"
    run cp -r "$SOURCE/config" "$CONF_DIR/examples"
    run install -d -m 0700 "$CONF_DIR/secrets"
    if [ -e "$FEED_CONFIG" ]; then
        return 0
    fi
    feed_config_written=1 # an example, not yet the site's: the feed is not started on it
    say "writing an example $FEED_CONFIG (edit it: the site, the platform's address, the broker)"
    write_file "$FEED_CONFIG" 0640 <"$SOURCE/config/feeds/$feed.toml"
    # The group by number from the (staging) root's own /etc/group: the host may have no such group.
    local gid
    gid="$(awk -F: -v name="$FEED_USER" '$1 == name { print $3 }' "$ROOT/etc/group" 2>/dev/null)"
    run chgrp "${gid:-$FEED_USER}" "$FEED_CONFIG"
}

install_feed_unit() {
    say "installing the systemd unit wallboard-feed@.service, enabled for $feed"
    write_file "$FEED_UNIT" 0644 <"$SOURCE/systemd/wallboard-feed@.service"
    if systemd_running; then
        run systemctl daemon-reload
        run systemctl enable "wallboard-feed@$feed.service"
    else
        say "note: systemd is not running here (a chroot or a staging --root): enabling the unit offline"
        run systemctl --root="${ROOT:-/}" enable "wallboard-feed@$feed.service"
    fi
}

do_install_feed() {
    require_root
    check_os
    check_platform
    install_packages "${FEED_APT_PACKAGES[@]}"
    create_feed_user
    install_code "[feeds]"
    feed_config_written=0
    install_feed_config
    install_feed_unit
    local next="edit $FEED_CONFIG; put its secrets in $CONF_DIR/secrets/; 'sudo $PREFIX/venv/bin/wallboard check"
    next+=" $FEED_CONFIG' lists every credential it reads (the broker's password too) with its LoadCredential= line:"
    next+=" add them all with 'sudo systemctl edit wallboard-feed@$feed' (see docs/feeds.md); then"
    next+=" '... wallboard feed $feed --config $FEED_CONFIG --once' and 'sudo systemctl start wallboard-feed@$feed'"
    if ((feed_config_written)); then
        say "installed and enabled, not started: the config is an example. Next: $next"
    elif ((start)) && ! systemd_running; then
        check_config "$FEED_CONFIG" "$FEED_USER" "wallboard-feed@$feed" || true
        say "installed and enabled; systemd is not running here, so not started (it starts at boot)"
    elif ((start)) && check_config "$FEED_CONFIG" "$FEED_USER" "wallboard-feed@$feed"; then
        run systemctl restart "wallboard-feed@$feed.service"
        say "started; follow it with: journalctl -u wallboard-feed@$feed -f"
    else
        say "installed and enabled, not started"
    fi
}

# Disables this feed's instance; the unit file goes once no feed is enabled. The code in /opt/wallboard stays
# (the board may run from it: --uninstall without --feed removes it).
do_uninstall_feed() {
    require_root
    if systemd_running; then
        run systemctl disable --now "wallboard-feed@$feed.service" || true
    else
        run systemctl --root="${ROOT:-/}" disable "wallboard-feed@$feed.service" || true
    fi
    if ! compgen -G "$ROOT/etc/systemd/system/*.wants/wallboard-feed@*.service" >/dev/null || ((dry_run)); then
        run rm -f "$FEED_UNIT"
        if systemd_running; then
            run systemctl daemon-reload
        fi
    fi
    if ((purge)); then
        say "purging the $feed feed's config"
        run rm -f "$FEED_CONFIG"
        if ! compgen -G "$CONF_DIR/feed-*.toml" >/dev/null || ((dry_run)); then
            say "no feed left: purging its counters and the $FEED_USER user"
            run rm -rf "$FEED_STATE_DIR"
            if grep -q "^$FEED_USER:" "$ROOT/etc/passwd" 2>/dev/null; then
                if [ -n "$ROOT" ]; then run userdel --root "$ROOT" "$FEED_USER"; else run userdel "$FEED_USER"; fi
            fi
        fi
    else
        say "kept $FEED_CONFIG, $CONF_DIR/secrets, $FEED_STATE_DIR and the $FEED_USER user (--purge removes them)"
    fi
}

if [ -n "$feed" ] && [ "$action" = install ]; then
    do_install_feed
elif [ -n "$feed" ]; then
    do_uninstall_feed
elif [ "$action" = install ]; then
    do_install
else
    do_uninstall
fi
