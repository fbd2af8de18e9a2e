"""Reproducible installs: README's two install commands and .ci/run install from the locked,
hash-checked requirement files, which pin every dependency pyproject.toml names, and the suite
runs with exactly the pinned versions."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import ROOT

LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([a-z0-9][a-z0-9_.-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
RUN = ("python3 -m venv .venv && .venv/bin/pip install --require-hashes -r requirements/run.txt "
       "&& .venv/bin/pip install --no-deps -e . && .venv/bin/printdesk")
TEST = ("python3 -m venv .venv && .venv/bin/pip install --require-hashes -r "
        "requirements/test.txt && .venv/bin/pip install --no-deps -e . && .venv/bin/pytest")


def pins(name: str) -> dict[str, tuple[str, str | None, int]]:
    """name -> (version, marker, number of hashes) for every package the file pins."""
    found: dict[str, tuple[str, str | None, int]] = {}
    current = None
    for line in (LOCKS / name).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            found[current] = (match[2], match[3], 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, marker, hashes = found[current]
            found[current] = (version, marker, hashes + 1)
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [*project["dependencies"]]
    for extra in extras:
        names += project["optional-dependencies"][extra]
    return [Requirement(text) for text in names]


def readme_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    return re.search(r"```sh\n(.*?)\n```", section, re.S).group(1).strip()


def test_readme_installs_from_the_lock_and_ci_runs_its_test_command_verbatim() -> None:
    assert readme_block("Install and run (embedded default: SQLite in your user data folder)") \
        == RUN
    assert readme_block("Install and run the tests") == TEST
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert [line for line in ci.splitlines() if line.strip()][-1] == TEST


@pytest.mark.parametrize(("lock", "extras"), [("test.txt", ("test", "postgres")),
                                              ("run.txt", ("postgres",))])
def test_every_declared_dependency_is_pinned_within_its_range(lock: str, extras: tuple[str, ...]
                                                              ) -> None:
    locked = pins(lock)
    wrong = {}
    for requirement in declared(*extras):
        name = canonicalize_name(requirement.name)
        if name not in locked:
            wrong[name] = "not in the lock: run requirements/lock.sh"
        elif not requirement.specifier.contains(locked[name][0], prereleases=True):
            wrong[name] = f"{locked[name][0]} is outside {requirement.specifier}"
    assert wrong == {}


def test_the_run_lock_takes_its_versions_from_the_test_lock_and_every_pin_is_hashed() -> None:
    run, test = pins("run.txt"), pins("test.txt")
    assert {n: v[0] for n, v in run.items()} == {n: test[n][0] for n in run}
    assert {"pytest", "playwright", "ruff"} & run.keys() == set()  # no test tools on a lab PC
    assert [n for n, (_, _, hashes) in {**run, **test}.items() if hashes == 0] == []
    # Universal: what only Windows needs is in the lock too, behind its marker.
    assert test["colorama"][1] == "sys_platform == 'win32'"


def test_the_suite_runs_with_exactly_the_locked_versions() -> None:
    different = {}
    for name, (version, marker, _) in pins("test.txt").items():
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            different[name] = f"locked {version}, installed {installed}"
    assert different == {}, "install with README's test command (or refresh the lock)"
