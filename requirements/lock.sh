#!/usr/bin/env bash
# Regenerate the locked, hash-checked requirement files from pyproject.toml with uv:
#   requirements/test.txt  runtime + the test extra (+ postgres): what the suite runs with
#   requirements/run.txt   runtime + postgres, every pin taken from test.txt
# Both are universal (one file for Linux, Windows and macOS, Python 3.11 and newer: packages for
# one platform only carry a marker) and keep the pins they already have unless told otherwise:
#   requirements/lock.sh                  add what pyproject.toml gained, keep every other pin
#   requirements/lock.sh --upgrade        move every package to its newest release
#   requirements/lock.sh --upgrade-package werkzeug   move one package
# uv is a tool here, not a dependency: `.venv/bin/pip install uv` once (or set UV=/path/to/uv).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
if ! [ -x "$UV" ] && ! command -v "$UV" >/dev/null; then
    echo "lock.sh: no uv at $UV: install it with .venv/bin/pip install uv" >&2
    exit 2
fi
common=(--universal --python-version 3.11 --fork-strategy fewest --generate-hashes
        --custom-compile-command "requirements/lock.sh" --quiet)
"$UV" pip compile pyproject.toml --extra test --extra postgres "${common[@]}" "$@" \
    -o requirements/test.txt
# run.txt: the same versions as test.txt, without the test tools.
"$UV" pip compile pyproject.toml --extra postgres "${common[@]}" \
    -c requirements/test.txt -o requirements/run.txt
echo "requirements/test.txt: $(grep -c '^[a-z0-9]' requirements/test.txt) packages;" \
     "requirements/run.txt: $(grep -c '^[a-z0-9]' requirements/run.txt)"
