#!/usr/bin/env bash
# Install (or remove) the wallboard as a system service on Raspberry Pi OS Bookworm 64-bit.
#
#   sudo systemd/install.sh                 install or upgrade, enable and (re)start the service
#   sudo systemd/install.sh --no-start      install and enable, but do not start now
#   sudo systemd/install.sh --uninstall     stop and remove the service, code and udev rule;
#                                           keep /etc/wallboard, the cache and the user
#   sudo systemd/install.sh --uninstall --purge   ... and remove those too
#   systemd/install.sh --dry-run [...]      print what would be done, change nothing (no root needed)
#
# Idempotent: running it again upgrades the code and unit and changes nothing else. It never overwrites
# /etc/wallboard/board.toml, site.toml or /etc/default/wallboard once they exist.
# What it does, step by step, is described in docs/deployment.md.
set -euo pipefail

PREFIX=/opt/wallboard
CONF_DIR=/etc/wallboard
STATE_DIR=/var/lib/wallboard
UNIT=/etc/systemd/system/wallboard.service
RULES=/etc/udev/rules.d/99-wallboard.rules
DEFAULTS=/etc/default/wallboard
SERVICE_USER=wallboard
GROUPS_NEEDED=(video render input gpio dialout audio)
APT_PACKAGES=(python3 python3-venv fonts-dejavu-core)
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

action=install
purge=0
dry_run=0
start=1
for arg in "$@"; do
    case "$arg" in
        --uninstall) action=uninstall ;;
        --purge) purge=1 ;;
        --dry-run) dry_run=1 ;;
        --no-start) start=0 ;;
        -h | --help)
            sed -n '2,13p' "$0"
            exit 0
            ;;
        *)
            echo "install.sh: unknown option $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

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
        install -m "$2" /dev/stdin "$1"
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

install_packages() {
    local missing=() package
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    # gpiozero's lgpio backend: the OS package on a Pi (the venv sees it through --system-site-packages).
    if apt-cache show python3-lgpio >/dev/null 2>&1 &&
        ! dpkg-query -W -f='${Status}' python3-lgpio 2>/dev/null | grep -q "install ok installed"; then
        missing+=(python3-lgpio)
    fi
    if ((${#missing[@]})); then
        say "installing packages: ${missing[*]}"
        run apt-get update -qq
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

create_user() {
    local group
    for group in "${GROUPS_NEEDED[@]}"; do
        # On a PC some of the Pi's groups (gpio) do not exist, and systemd refuses to start a unit
        # whose SupplementaryGroups= names a missing group.
        getent group "$group" >/dev/null || run groupadd --system "$group"
    done
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        say "creating system user $SERVICE_USER"
        run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "Contact-centre wallboard" "$SERVICE_USER"
    fi
    # The unit grants these groups itself; membership also lets `sudo -u wallboard` test the hardware.
    run usermod --append --groups "$(
        IFS=,
        echo "${GROUPS_NEEDED[*]}"
    )" "$SERVICE_USER"
}

install_code() {
    say "installing the code into $PREFIX"
    run install -d -m 0755 "$PREFIX" "$PREFIX/src"
    # A clean copy of the source (no .git, no development venv), so the install does not depend on the checkout.
    run tar -C "$SOURCE" --exclude=.git --exclude=.venv --exclude='*.egg-info' --exclude=__pycache__ \
        -cf "$PREFIX/src.tar" .
    run rm -rf "$PREFIX/src"
    run install -d -m 0755 "$PREFIX/src"
    run tar -C "$PREFIX/src" -xf "$PREFIX/src.tar"
    run rm -f "$PREFIX/src.tar"
    run rm -rf "$PREFIX/docs"
    run cp -r "$PREFIX/src/docs" "$PREFIX/docs"
    if [ ! -x "$PREFIX/venv/bin/python" ]; then
        run python3 -m venv --system-site-packages "$PREFIX/venv"
    fi
    run "$PREFIX/venv/bin/python" -m pip install -q --upgrade pip
    run "$PREFIX/venv/bin/python" -m pip install -q --upgrade "$PREFIX/src"
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
    run udevadm control --reload
    run udevadm trigger --subsystem-match=tty --action=add
    run systemctl daemon-reload
    run systemctl enable wallboard.service
}

check_config() {
    if ((dry_run)); then
        echo "+ check $CONF_DIR/board.toml as $SERVICE_USER"
        return 0
    fi
    if ! runuser -u "$SERVICE_USER" -- "$PREFIX/venv/bin/wallboard" check "$CONF_DIR/board.toml"; then
        say "the config above has problems: fix it, then run: sudo systemctl restart wallboard"
        return 1
    fi
}

do_install() {
    require_root
    check_os
    install_packages
    create_user
    install_code
    install_config
    install_unit
    if ((start)) && check_config; then
        run systemctl restart wallboard.service
        say "started; follow it with: journalctl -u wallboard -f"
    else
        say "installed and enabled, not started"
    fi
}

do_uninstall() {
    require_root
    if systemctl list-unit-files wallboard.service >/dev/null 2>&1; then
        run systemctl disable --now wallboard.service || true
    fi
    run rm -f "$UNIT" "$RULES"
    run systemctl daemon-reload
    run udevadm control --reload
    run rm -rf "$PREFIX"
    if ((purge)); then
        say "purging the config, the cache and the user"
        run rm -rf "$CONF_DIR" "$STATE_DIR" "$DEFAULTS"
        if id -u "$SERVICE_USER" >/dev/null 2>&1; then
            run userdel "$SERVICE_USER"
        fi
    else
        say "kept $CONF_DIR, $STATE_DIR and the $SERVICE_USER user (--purge removes them)"
    fi
}

if [ "$action" = install ]; then
    do_install
else
    do_uninstall
fi
