#!/usr/bin/env bash
# The newest-versions job: does PrintDesk still work with the newest release of every dependency?
#
# Makes a fresh virtual environment in a temporary folder, installs PrintDesk with its test extra
# WITHOUT the lock (pip takes the newest releases pyproject.toml allows), prints which packages
# differ from requirements/test.txt, runs the tests that exercise the dependencies (or, with
# --full, the whole suite) and names every test that failed. The last line is key=value:
#   changed=N new=N failed=N passed=N
# Exit code 0 when no test failed. A clean run means `requirements/lock.sh --upgrade` is safe;
# a failure names the package to hold back (a `!=` or `<` in pyproject.toml, then lock.sh).
#
#   bench/newest_versions.sh            the dependency-heavy files below, one process (~10 min)
#   bench/newest_versions.sh --full     the whole suite, on every core
#   KEEP=1 bench/newest_versions.sh     keep the environment (its path is printed)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Each file leans on a different part of the dependency tree: Werkzeug/Flask/waitress with real
# 50 MB uploads, SQLAlchemy/Alembic, numpy/trimesh, PySide6, aiosmtpd/trustme, tomlkit.
SUBSET=(tests/test_intake_realsize.py tests/test_intake_submit.py tests/test_intake_hardening.py
        tests/test_intake_student.py tests/test_workflow.py tests/test_engine.py
        tests/test_events_immutable.py tests/test_mesh.py tests/test_thumbnails.py
        tests/test_console_window.py tests/test_email.py tests/test_config.py tests/test_cli.py)
if [ "${1:-}" = "--full" ]; then
    selection=(tests -n auto)
else
    selection=("${SUBSET[@]}" -n 0)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/printdesk-newest.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
echo "newest-versions environment: $work/venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip >"$work/pip.log" 2>&1 || true
if ! "$work/venv/bin/pip" install -e "${root}[test,postgres]" \
        >>"$work/pip.log" 2>&1; then
    tail -20 "$work/pip.log"
    echo "changed=? new=? failed=install passed=0"
    exit 1
fi
"$work/venv/bin/pip" freeze --exclude-editable >"$work/freeze.txt"

# The differences from the lock, for this platform and Python (markers evaluated).
read -r changed new < <("$work/venv/bin/python" - "$root/requirements/test.txt" \
        "$work/freeze.txt" <<'PY'
import re, sys
from packaging.markers import Marker
from packaging.utils import canonicalize_name

locked = {}
for line in open(sys.argv[1], encoding="utf-8"):
    found = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line)
    if found and (found[3] is None or Marker(found[3]).evaluate()):
        locked[canonicalize_name(found[1])] = found[2]
installed = {}
for line in open(sys.argv[2], encoding="utf-8"):
    if "==" in line:
        name, version = line.strip().split("==", 1)
        installed[canonicalize_name(name)] = version
changed = sorted(n for n in locked.keys() & installed.keys() if locked[n] != installed[n])
new = sorted(installed.keys() - locked.keys())
for name in changed:
    print(f"  changed: {name} {locked[name]} -> {installed[name]}", file=sys.stderr)
for name in new:
    print(f"  not in the lock: {name} {installed[name]}", file=sys.stderr)
for name in sorted(locked.keys() - installed.keys()):
    print(f"  no longer installed: {name} {locked[name]}", file=sys.stderr)
print(len(changed), len(new))
PY
)

echo "running: pytest ${selection[*]}"
set +e
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$work/junit.xml" \
    "${selection[@]}" >"$work/pytest.log" 2>&1
status=$?
set -e
tail -3 "$work/pytest.log"
read -r failed passed < <("$work/venv/bin/python" - "$work/junit.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
except (OSError, ET.ParseError):
    print("? 0")
    raise SystemExit
bad = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
for case in bad:
    print(f"  broke: {case.get('classname')}::{case.get('name')}", file=sys.stderr)
skipped = sum(c.find("skipped") is not None for c in cases)
print(len(bad), len(cases) - len(bad) - skipped)
PY
)
if [ "$status" -ne 0 ] && [ "$failed" = 0 ]; then
    failed="?"  # pytest itself failed (collection, crash): its log says why
    tail -20 "$work/pytest.log"
fi
echo "changed=$changed new=$new failed=$failed passed=$passed"
[ "$failed" = 0 ]
