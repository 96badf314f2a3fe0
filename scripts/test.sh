#!/usr/bin/env bash
# The README's test command. Sets up what is missing, checks the source (ruff, mypy, the import layers),
# builds the sdist and the wheel from it, installs the wheel non-editable into a fresh venv, and runs the
# whole suite from there: the board is tested as a site installs it, not as the repository sees it.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k cache`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-env.sh
export SDL_VIDEODRIVER=offscreen SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1
SOURCES=(src tests bench)

echo "test: ruff"
.venv/bin/ruff check -q "${SOURCES[@]}"
.venv/bin/ruff format --check -q "${SOURCES[@]}"
echo "test: mypy (strict, product and tests)"
.venv/bin/mypy
echo "test: import layers (lint-imports)"
layers=$(.venv/bin/lint-imports --no-cache 2>&1) || { echo "$layers"; exit 1; }
grep "^Contracts:" <<<"$layers"

echo "test: build the sdist, and the wheel from it"
rm -rf dist
.venv/bin/python -m build -q --outdir dist . >/dev/null
wheel=$(ls dist/wallboard-*.whl)
echo "test: install $(basename "$wheel") into a fresh venv (.venv-wheel)"
"${PYTHON:-python3}" -m venv --clear .venv-wheel
.venv-wheel/bin/python -m pip install -q --upgrade pip
.venv-wheel/bin/python -m pip install -q "${wheel}[test]"

echo "test: pytest (from the installed wheel)"
# tests/conftest.py refuses to run on anything but the installed copy when this is set.
export WALLBOARD_TEST_INSTALLED=1
.venv-wheel/bin/python -m pytest -n auto "$@"
