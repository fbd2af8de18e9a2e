"""No clipped text at 100 % and 150 % display scaling (issue 11): the console and its dialogs are
opened at 1366 × 768 in a fresh process per scale (Qt fixes the scale per process), every button,
one-line label and tab is checked against the size its text needs, and screenshots are kept in
test-artifacts/ for a person to look at."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "scaling"


@pytest.mark.parametrize("scale", ["1", "1.5"])
def test_nothing_is_clipped(tmp_path: Path, scale: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTDESK_")}
    env.update(QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale)
    result = subprocess.run(
        [sys.executable, "-m", "tests.console_scaling_child", str(tmp_path / "lab"), scale,
         str(ARTIFACTS)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == {"queue", "dialog-approve", "dialog-reject", "dialog-override_status",
                           "dialog-edit_fields", "window", "columns"}
    clipped = {screen: found for screen, found in report.items() if found}
    assert not clipped, clipped
    for screen in report.keys() - {"columns"}:
        assert (ARTIFACTS / f"{screen}-{scale}x.png").stat().st_size > 5_000
