"""Starting the intake from the console: the command (from a PyInstaller bundle or a package),
whether an intake answers, and a start that fails saying why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.config import load_config
from core.console.intake_launch import argv_for, intake_argv, start_in_background
from core.console.intake_probe import intake_state
from tests.helpers import ROOT
from tests.intake_procs import lab_folder, other_program, stop_intakes


def test_the_command_from_an_installed_package(tmp_path: Path) -> None:
    argv = intake_argv(tmp_path / "data", frozen=False)
    assert argv == [sys.executable, "-m", "printdesk", "intake", "--data", str(tmp_path / "data")]
    # The command reaches the intake subcommand for real.
    shown = subprocess.run([*argv, "--help"], capture_output=True, text=True, cwd=ROOT,
                           timeout=120)
    assert shown.returncode == 0 and "Serve the students' intake web page" in shown.stdout


def test_the_command_inside_a_pyinstaller_bundle(tmp_path: Path, monkeypatch) -> None:
    bundle = "/opt/PrintDesk/printdesk"
    assert intake_argv("D", "D/lab.toml", frozen=True, executable=bundle) == [
        bundle, "intake", "--data", "D", "--config", "D/lab.toml"]
    # What a bundle's bootloader sets: sys.frozen, and sys.executable is the bundle's program.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", bundle)
    assert intake_argv(tmp_path) == [bundle, "intake", "--data", str(tmp_path)]


def test_the_intake_gets_the_consoles_configuration_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "printdesk.toml").write_text("[intake]\nport = 8099\n")
    inside = load_config(data_dir=data, env={})
    assert argv_for(inside)[-2:] == ["--data", str(data)]  # found there by the intake itself
    elsewhere = tmp_path / "lab.toml"
    elsewhere.write_text("[intake]\nport = 8098\n")
    given = load_config(data_dir=data, config_file=elsewhere, env={})
    assert argv_for(given)[-4:] == ["--data", str(data), "--config", str(elsewhere)]


def test_a_port_taken_by_another_program_is_named_and_the_start_says_why(
        tmp_path: Path, template_data_dir: Path) -> None:
    data = tmp_path / "data"
    with other_program() as port:
        config = lab_folder(template_data_dir, data, port)
        state = intake_state(config)
        assert not state.answering and state.port_taken
        assert f"Port {port}" in state.detail and "another program" in state.detail
        try:
            result = start_in_background(config, wait_s=60)
        finally:
            stop_intakes(data)
    assert not result.started
    assert "stopped at once (exit code 3)" in result.message
    assert "Address already in use" in result.message  # the intake's own last words
    assert "Traceback" not in result.message and "File \"" not in result.message
    log = data / "logs" / "intake-output.log"
    assert str(log) in result.message and "Address already in use" in log.read_text()


def test_nothing_answering_is_said_plainly(tmp_path: Path, template_data_dir: Path) -> None:
    config = lab_folder(template_data_dir, tmp_path / "data")
    state = intake_state(config)
    assert not state.answering and not state.port_taken and not state.elsewhere
    assert state.detail == (f"The students' intake is not running: nothing answers at "
                            f"http://127.0.0.1:{config.intake.port}/, so students cannot "
                            "submit models.")
