"""Configuration: defaults, a TOML file, PRINTDESK_<SECTION>_<KEY> overrides, readable errors."""

from decimal import Decimal

import pytest

from core.config import load_config
from core.domain.errors import ConfigError

PRINTER = '[[printers]]\nname = "Prusa MK4S"\nmethod = "Filament"\nbuild_volume_mm = [250, 210, 220]\n'


def write(folder, text, name="printdesk.toml"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def load_toml(tmp_path, text, env=None):
    write(tmp_path, text)
    return load_config(data_dir=tmp_path, env=env or {})


def config_error(tmp_path, text, env=None):
    with pytest.raises(ConfigError) as info:
        load_toml(tmp_path, text, env)
    return str(info.value)


def test_defaults(tmp_path):
    config = load_config(data_dir=tmp_path, env={})
    assert [(p.name, p.method, p.build_volume_mm) for p in config.printers] == [
        ("Prusa MK4S", "Filament", (250, 210, 220)),
        ("Prusa XL", "Filament", (360, 360, 360)),
        ("Raise3D Pro 2 Plus", "Filament", (305, 305, 605)),
        ("Formlabs Form 3", "Resin", (145, 145, 175)),
    ]
    assert len(config.method("Filament").colors) == 23
    assert "Glow in the Dark" in config.method("Filament").colors
    assert config.method("Resin").colors == ("Black", "White", "Gray", "Clear")
    assert config.disciplines == (
        "Art", "Architecture", "Landscape Architecture", "Interior Design", "Engineering",
        "Hobby/Personal", "Other",
    )
    assert config.lab.timezone == "America/Chicago"
    assert config.limits.retention_days == 90
    assert config.limits.max_upload_mb == 50
    assert config.pricing.per_gram == {"Filament": Decimal("0.10"), "Resin": Decimal("0.20")}
    assert config.pricing.minimum == Decimal("3.00")
    assert config.pricing.time_step_hours == Decimal("0.5")
    assert config.upload_extensions == (".stl", ".obj", ".3mf")
    assert [p.name for p in config.printers_for("Resin")] == ["Formlabs Form 3"]


def test_default_paths_live_in_the_data_folder(tmp_path):
    config = load_config(data_dir=tmp_path, env={})
    assert config.data_dir == tmp_path.resolve()
    assert config.storage_root == (tmp_path / "storage").resolve()
    assert config.is_sqlite
    assert str(tmp_path.resolve() / "printdesk.db") in config.database_url
    assert config.config_file is None


def test_toml_in_the_data_folder_is_read(tmp_path):
    config = load_toml(tmp_path, '[lab]\nname = "Maker Space"\n[limits]\nretention_days = 30\n')
    assert config.lab.name == "Maker Space"
    assert config.limits.retention_days == 30
    assert config.limits.max_upload_mb == 50
    assert config.config_file == tmp_path / "printdesk.toml"


def test_printdesk_data_env_names_the_data_folder(tmp_path):
    write(tmp_path, "[limits]\nretention_days = 12\n")
    config = load_config(env={"PRINTDESK_DATA": str(tmp_path)})
    assert config.data_dir == tmp_path.resolve()
    assert config.limits.retention_days == 12


def test_printdesk_config_env_names_the_file(tmp_path):
    write(tmp_path / "data", "[limits]\nretention_days = 11\n")
    other = write(tmp_path / "etc", "[limits]\nretention_days = 22\n", "lab.toml")
    config = load_config(data_dir=tmp_path / "data", env={"PRINTDESK_CONFIG": str(other)})
    assert config.limits.retention_days == 22
    assert config.config_file == other


def test_explicit_config_file_wins_over_env(tmp_path):
    one = write(tmp_path, "[limits]\nretention_days = 1\n", "one.toml")
    two = write(tmp_path, "[limits]\nretention_days = 2\n", "two.toml")
    config = load_config(data_dir=tmp_path / "d", config_file=one, env={"PRINTDESK_CONFIG": str(two)})
    assert config.limits.retention_days == 1


@pytest.mark.parametrize("how", ["argument", "env"])
def test_missing_explicit_config_file(tmp_path, how):
    missing = tmp_path / "nope.toml"
    args = {"config_file": missing, "env": {}} if how == "argument" else {
        "env": {"PRINTDESK_CONFIG": str(missing)}}
    with pytest.raises(ConfigError, match=r"nope\.toml does not exist"):
        load_config(data_dir=tmp_path, **args)


def test_env_overrides_defaults_and_the_file(tmp_path):
    config = load_toml(
        tmp_path, "[limits]\nmax_upload_mb = 20\n",
        env={
            "PRINTDESK_LIMITS_MAX_UPLOAD_MB": "100",
            "PRINTDESK_DATABASE_URL": "postgresql+psycopg://lab@db.example.edu/printdesk",
            "PRINTDESK_LAB_TIMEZONE": "Europe/Berlin",
            "PRINTDESK_PRICING_MINIMUM": "5.00",
            "PRINTDESK_INTAKE_PORT": "9000",
        },
    )
    assert config.limits.max_upload_mb == 100
    assert config.database_url == "postgresql+psycopg://lab@db.example.edu/printdesk"
    assert not config.is_sqlite
    assert config.lab.timezone == "Europe/Berlin"
    assert config.pricing.minimum == Decimal("5.00")
    assert config.intake.port == 9000
    assert config.base_url == "http://localhost:9000"  # serving this PC only


def test_custom_methods_printers_and_disciplines(tmp_path):
    config = load_toml(tmp_path, """
disciplines = ["Design", "Other"]
[methods.Filament]
description = "FDM"
colors = ["Black", "White"]
[pricing]
per_gram = { Filament = "0.05" }
""" + PRINTER + 'per_hour = "0.60"\n')
    assert config.disciplines == ("Design", "Other")
    assert [m.name for m in config.methods] == ["Filament"]
    assert config.method("Filament").colors == ("Black", "White")
    assert [(p.name, p.per_hour) for p in config.printers] == [("Prusa MK4S", Decimal("0.60"))]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[mail]\nhost = 'x'\n", "mail"),
        ("colour = 'blue'\n", "colour"),
        ("[limits]\nmax_upload = 10\n", "max_upload"),
        ("[lab]\nlogo = 'x.png'\n", "logo"),
        ("[limits]\nmax_upload_mb = 'lots'\n", "max_upload_mb"),
        ("[limits]\nmax_upload_mb = 2.5\n", "max_upload_mb"),
        ("[limits]\nretention_days = 0\n", "retention_days"),
        ("[intake]\nport = 70000\n", "port"),
        ("[pricing]\nminimum = 'three dollars'\n", "minimum"),
        ("[pricing]\nminimum = '-1'\n", "minimum"),
        ("[pricing]\nminimum = 'NaN'\n", "minimum"),
        ("[pricing]\ntime_step_hours = 'half'\n", "time_step_hours"),
        ("[pricing]\nper_gram = { Filament = 'cheap', Resin = '0.2' }\n", "per_gram.Filament"),
        ("[pricing]\nper_gram = '0.10'\n", "per_gram"),
        ("[lab]\nprimary_color = 'purple'\n", "primary_color"),
        ("[lab]\naccent_color = '#FDD02'\n", "accent_color"),
        ("[lab]\ntimezone = 'Mars/Olympus_Mons'\n", "timezone"),
        ("[lab]\ntimezone = ''\n", "timezone"),
        ("[lab]\ntimezone = '../../etc/passwd'\n", "timezone"),
        ("[lab]\nname = 5\n", "name"),
        ("[database]\nsqlite_journal = 'memory'\n", "sqlite_journal"),
        ("limits = 5\n", "limits"),
        ("disciplines = []\n", "disciplines"),
        ("disciplines = ['Art', 'Art']\n", "disciplines"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, key):
    message = config_error(tmp_path, text)
    assert key in message
    assert "printdesk.toml" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[printers]\nname = 'Prusa'\n", "[[printers]]"),
        ("[[printers]]\nname = 'Prusa'\nmethod = 'Filament'\n", "build_volume_mm"),
        (PRINTER.replace("[250, 210, 220]", "[250, 210]"), "build_volume_mm"),
        (PRINTER.replace("[250, 210, 220]", "[250, -1, 220]"), "build_volume_mm"),
        (PRINTER.replace('name = "Prusa MK4S"\n', ""), "name"),
        (PRINTER + "nozzle = 0.4\n", "nozzle"),
        (PRINTER + "per_gram = 'x'\n", "per_gram"),
        (PRINTER + "per_hour = '-0.6'\n", "per_hour"),
        (PRINTER + PRINTER, "unique"),
        (PRINTER.replace('"Filament"', '"Laser"'), "method"),
    ],
)
def test_bad_printer_tables_name_the_key(tmp_path, text, key):
    message = config_error(tmp_path, text)
    assert key in message
    assert "printers" in message


def test_printer_with_unknown_method_lists_the_known_ones(tmp_path):
    assert "Filament, Resin" in config_error(tmp_path, PRINTER.replace('"Filament"', '"Laser"'))


def test_new_methods_with_the_default_printers_is_refused(tmp_path):
    # Replacing [methods] but keeping the built-in printers would leave every printer with a
    # method that no longer exists: no submission could ever pick a printer.
    message = config_error(tmp_path, """
[methods.FDM]
colors = ["Black"]
[pricing]
per_gram = { FDM = "0.10" }
""")
    assert "printers" in message
    assert "method" in message


def test_method_without_a_per_gram_rate(tmp_path):
    message = config_error(tmp_path, "[pricing]\nper_gram = { Filament = '0.12' }\n")
    assert "per_gram" in message and "Resin" in message


def test_new_method_without_a_per_gram_rate(tmp_path):
    message = config_error(tmp_path, """
[methods.Laser]
colors = ["Wood"]
[methods.Filament]
colors = ["Blue"]
""" + PRINTER)
    assert "per_gram" in message and "Laser" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[methods]\nFilament = 'x'\n", "methods.Filament"),
        ("[methods.Filament]\ncolors = []\n", "colors"),
        ("[methods.Filament]\ncolors = ['Blue']\nprice = 1\n", "price"),
    ],
)
def test_bad_method_tables_name_the_key(tmp_path, text, key):
    assert key in config_error(tmp_path, text)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRINTDESK_LIMITS_MAX_UPLOAD_MB", "abc"),
        ("PRINTDESK_LIMITS_MAX_UPLOAD_MB", "0"),
        ("PRINTDESK_PRICING_MINIMUM", "cheap"),
        ("PRINTDESK_LAB_TIMEZONE", "Nowhere/City"),
        ("PRINTDESK_LAB_PRIMARY_COLOR", "red"),
        ("PRINTDESK_INTAKE_PORT", "http"),
    ],
)
def test_bad_env_override_names_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        load_config(data_dir=tmp_path, env={name: value})


@pytest.mark.parametrize(
    "text", ["[limits\nmax_upload_mb = 5\n", "x = = 5\n", "[lab]\nname = 'unterminated\n"]
)
def test_invalid_toml_syntax(tmp_path, text):
    message = config_error(tmp_path, text)
    assert "not valid TOML" in message
    assert "printdesk.toml" in message


def test_file_that_is_not_utf8(tmp_path):
    (tmp_path / "printdesk.toml").write_bytes(b"[lab]\nname = '\xff\xfe'\n")
    with pytest.raises(ConfigError, match=r"printdesk\.toml"):
        load_config(data_dir=tmp_path, env={})


def test_every_declared_key_can_be_set_from_the_environment(tmp_path) -> None:
    """The loader finds keys from the section dataclasses alone: a new key is one line."""
    from dataclasses import fields

    from core.config.keys import keys_of
    from core.config.sections import SECTIONS

    for section, cls in SECTIONS.items():
        for spec in keys_of(cls):
            if not spec.metadata["env"]:
                continue
            default = getattr(cls(), spec.name)
            given = str(default).lower() if isinstance(default, bool) else str(default)
            expected: object = default
            if spec.name == "url":
                given = expected = "sqlite:////tmp/other.db"
            env = {f"PRINTDESK_{section}_{spec.name}".upper(): given}
            config = load_config(data_dir=tmp_path, env=env)
            assert getattr(getattr(config, section), spec.name) == expected, (section, spec.name)
        assert {f.name for f in fields(cls)} == {f.name for f in keys_of(cls)}


def test_a_config_file_that_cannot_be_read_is_a_clear_error(tmp_path) -> None:
    """A read that fails (a failing disk; on a lab PC, a staff account outside the group the
    file is shared with): one sentence naming the file, not a traceback. /proc/self/mem is a
    file whose read fails even for root, who runs the suite in CI."""
    with pytest.raises(ConfigError, match=r"config file /proc/self/mem cannot be read"):
        load_config(data_dir=tmp_path, config_file="/proc/self/mem", env={})


def test_writing_a_setting_keeps_the_file_shared_as_it_was(tmp_path) -> None:
    """`printdesk init --port` (or the console) rewriting the file keeps the mode the installer
    gave it (0660: the staff's group reads it); a file it creates is owner-only."""
    import stat

    from core.config.file import update_config_file

    path = tmp_path / "printdesk.toml"
    update_config_file(path, "intake", {"port": 8123})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o660)
    update_config_file(path, "intake", {"port": 8124})
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    assert load_config(data_dir=tmp_path, env={}).intake.port == 8124
