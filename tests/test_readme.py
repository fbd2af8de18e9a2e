"""README promises that must stay true: its configuration example loads as documented."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from core.config import load_config
from tests.helpers import ROOT


def test_readme_configuration_example_loads(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example, "README lost its configuration example"
    data = tmp_path / "data"
    data.mkdir()
    (data / "printdesk.toml").write_text(example.group(1), encoding="utf-8")
    config = load_config(data_dir=data, env={})
    assert [p.name for p in config.printers] == ["Prusa MK4S"]
    assert config.printers[0].per_hour == Decimal("0.60")
    assert config.disciplines == ("Art", "Architecture", "Engineering", "Other")
    assert [m.name for m in config.methods] == ["Filament", "Resin"]
    assert config.method("Filament").colors == ("True Red", "Blue", "True Black", "True White")
    assert config.limits.max_upload_mb == 50 and config.lab.timezone == "America/Chicago"


def test_readme_documents_every_configuration_key() -> None:
    """Each key is declared once (core/config/sections.py); README's example shows them all."""
    from core.config.keys import keys_of
    from core.config.sections import SECTIONS

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    missing = []
    for section, cls in SECTIONS.items():
        body = re.search(rf"^\[{section}\][^\n]*\n(.*?)(?=^\[|\Z)", example, re.S | re.M)
        for spec in keys_of(cls):
            if body is None or not re.search(rf"^{spec.name}\s*=", body.group(1), re.M):
                missing.append(f"[{section}] {spec.name}")
    assert missing == []
