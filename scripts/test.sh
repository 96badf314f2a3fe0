#!/usr/bin/env bash
# The README's test command: set up what is missing, then lint, type-check and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
export SDL_VIDEODRIVER=offscreen SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1
echo "test: ruff"
.venv/bin/ruff check device display firmware_bridge tests bench
.venv/bin/ruff format --check -q device display firmware_bridge tests bench
echo "test: mypy"
.venv/bin/mypy
echo "test: pytest"
.venv/bin/python -m pytest "$@"
