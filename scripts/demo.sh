#!/usr/bin/env bash
# The one-command demo: set up what is missing, then run a live board fed by a simulated contact centre
# through an embedded MQTT broker (amqtt) on loopback. Opens a window where there is a display; otherwise
# draws offscreen and writes a screenshot every few seconds (it prints where). Extra arguments go to
# `wallboard demo`, e.g. `bash scripts/demo.sh --duration 60 --size 1920x1080`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
export PYGAME_HIDE_SUPPORT_PROMPT=1
exec .venv/bin/wallboard demo "$@"
