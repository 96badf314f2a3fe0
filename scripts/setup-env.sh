#!/usr/bin/env bash
# Prepare a development environment on Debian or Raspberry Pi OS: the system packages the board and its
# tests use (installed only when missing), and a Python virtual environment in .venv with the project in it.
# Safe to run again: it does only what is missing. Used by scripts/test.sh and scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# mosquitto: the broker the tests start on a free loopback port; openssl: the tests' TLS certificates;
# fonts-dejavu-core: the board's typeface; xvfb: a virtual screen for window screenshots.
# libgl1-mesa-dri: Mesa's software GL, which the texture-path benchmark (bench versus, under Xvfb) draws through.
# systemd: systemd-analyze, to verify the unit and rate its sandbox; shellcheck: lints systemd/install.sh.
# libasound2: ALSA, which SDL loads for sound (install.sh installs it on a board); the no-sound-card test needs it.
# chromium: the headless browser the fleet page test drives, through Playwright (its bundled node needs libatomic1).
APT_PACKAGES=(mosquitto mosquitto-clients stunnel4 openssl fonts-dejavu-core xvfb libgl1-mesa-dri systemd shellcheck libasound2 chromium libatomic1)
PYTHON=${PYTHON:-python3}

missing=()
for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ! "$PYTHON" -c "import venv, ensurepip" 2>/dev/null; then
    missing+=(python3-venv)
fi
if ((${#missing[@]})); then
    echo "setup: installing system packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.wallboard-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    # Editable, for quick runs while developing; the README's test command tests the built wheel instead.
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch "$stamp"
fi
