"""Pricing of SPEC §4: Decimal money, half-up to cents, hours rounded up to 0.5 h, $3.00 minimum."""

from decimal import Decimal

import pytest

from core.config import load_config
from core.domain.pricing import money, quote, round_hours, to_decimal

D = Decimal

# The earlier draft's per-printer prices, per gram plus per minute (0.01/min = 0.60/h, ...).
DRAFT_TOML = """
[[printers]]
name = "Prusa MK4S"
method = "Filament"
build_volume_mm = [250, 210, 220]
per_gram = "0.08"
per_hour = "0.60"

[[printers]]
name = "Prusa XL"
method = "Filament"
build_volume_mm = [360, 360, 360]
per_gram = "0.09"
per_hour = "0.66"

[[printers]]
name = "Raise3D Pro 2 Plus"
method = "Filament"
build_volume_mm = [305, 305, 605]
per_gram = 0.10
per_hour = 0.72

[[printers]]
name = "Formlabs Form 3"
method = "Resin"
build_volume_mm = [145, 145, 175]
per_gram = "0.12"
per_hour = "0.48"
"""


@pytest.fixture
def draft_config(tmp_path):
    (tmp_path / "printdesk.toml").write_text(DRAFT_TOML, encoding="utf-8")
    return load_config(data_dir=tmp_path, env={})


def _decimals(q):
    return [q.weight_g, q.hours_entered, q.hours_billed, q.material_cost, q.time_cost, q.subtotal,
            q.total]


def test_small_filament_job_pays_the_minimum(config):
    q = quote(config, "Filament", "Prusa MK4S", "12", "1")
    assert q.subtotal == D("1.20")
    assert q.total == D("3.00")
    assert str(q.total) == "3.00"
    assert q.minimum_applied is True
    assert "minimum" in q.explain()
    assert "$3.00" in q.explain()


def test_resin_job_above_the_minimum(config):
    q = quote(config, "Resin", "Formlabs Form 3", "47.3", "2")
    assert q.total == D("9.46")
    assert str(q.total) == "9.46"
    assert q.minimum_applied is False
    assert q.explain() == "$9.46"


def test_exactly_the_minimum_is_not_flagged_as_minimum_applied(config):
    q = quote(config, "Filament", "Prusa MK4S", "30", "1")
    assert q.total == D("3.00")
    assert q.minimum_applied is False


@pytest.mark.parametrize(
    ("entered", "billed"),
    [("2.1", "2.5"), ("2.5", "2.5"), ("0.1", "0.5"), ("2.51", "3.0"), ("3", "3"), ("0.5", "0.5")],
)
def test_print_time_rounds_up_to_half_hours(config, entered, billed):
    assert round_hours(D(entered), D("0.5")) == D(billed)
    assert quote(config, "Filament", "Prusa XL", "100", entered).hours_billed == D(billed)


def test_half_a_cent_rounds_up(config):
    # 45.25 g x $0.10 = $4.525: half-up gives 4.53 (banker's rounding would give 4.52).
    assert quote(config, "Filament", "Prusa MK4S", "45.25", "1").total == D("4.53")
    # Resin: 22.625 g x $0.20 = $4.525 as well.
    assert quote(config, "Resin", "Formlabs Form 3", "22.625", "1").total == D("4.53")
    assert money(D("2.345")) == D("2.35")
    assert money(D("2.344")) == D("2.34")


def test_results_are_decimal_even_from_float_input(config):
    q = quote(config, "Filament", "Prusa MK4S", 45.25, 2.1)
    for value in _decimals(q):
        assert isinstance(value, Decimal)
        assert not isinstance(value, float)
    assert q.total == D("4.53")
    assert q.hours_billed == D("2.5")
    # A float goes through its text, so 0.1 stays exactly one tenth.
    assert to_decimal(0.1) == D("0.1")


def test_money_has_exactly_two_decimal_places(config):
    for weight in ("100", "47.3", "12", "33.333"):
        total = quote(config, "Filament", "Prusa MK4S", weight, "1").total
        assert total.as_tuple().exponent == -2


def test_default_printers_charge_nothing_per_hour(config):
    short = quote(config, "Filament", "Prusa MK4S", "100", "0.5")
    long = quote(config, "Filament", "Prusa MK4S", "100", "40")
    assert short.total == long.total == D("10.00")


@pytest.mark.parametrize(
    ("material", "printer", "weight", "hours", "total"),
    [
        # 100 g x 0.08 + 2.5 h (from 2.1) x 0.60 = 8.00 + 1.50
        ("Filament", "Prusa MK4S", "100", "2.1", "9.50"),
        # 50 g x 0.09 + 3 h x 0.66 = 4.50 + 1.98
        ("Filament", "Prusa XL", "50", "3", "6.48"),
        # 200 g x 0.10 + 10.5 h (from 10.2) x 0.72 = 20.00 + 7.56
        ("Filament", "Raise3D Pro 2 Plus", "200", "10.2", "27.56"),
        # 47.3 g x 0.12 + 1 h x 0.48 = 5.676 + 0.48 = 6.156
        ("Resin", "Formlabs Form 3", "47.3", "1", "6.16"),
        # 10 g x 0.08 + 0.5 h x 0.60 = 1.10: the minimum still applies
        ("Filament", "Prusa MK4S", "10", "0.2", "3.00"),
    ],
)
def test_per_printer_rates_from_a_config_file(draft_config, material, printer, weight, hours, total):
    assert quote(draft_config, material, printer, weight, hours).total == D(total)


def test_per_printer_rates_split_into_material_and_time(draft_config):
    q = quote(draft_config, "Filament", "Prusa MK4S", "100", "2.1")
    assert q.material_cost == D("8.00")
    assert q.time_cost == D("1.50")
    assert q.subtotal == D("9.50")


def test_per_minute_billing_with_time_rounding_switched_off(tmp_path):
    (tmp_path / "printdesk.toml").write_text(
        DRAFT_TOML + '\n[pricing]\ntime_step_hours = "0"\n', encoding="utf-8"
    )
    config = load_config(data_dir=tmp_path, env={})
    # 75 minutes x 0.01/min = 0.75; 40 g x 0.08 = 3.20
    q = quote(config, "Filament", "Prusa MK4S", "40", "1.25")
    assert q.hours_billed == D("1.25")
    assert q.total == D("3.95")


def test_configured_minimum_and_rates(tmp_path):
    (tmp_path / "printdesk.toml").write_text(
        '[pricing]\nminimum = "5"\nper_gram = { Filament = "0.15", Resin = "0.25" }\n',
        encoding="utf-8",
    )
    config = load_config(data_dir=tmp_path, env={})
    assert quote(config, "Filament", "Prusa MK4S", "20", "1").total == D("5.00")
    assert quote(config, "Resin", "Formlabs Form 3", "40", "1").total == D("10.00")


@pytest.mark.parametrize(
    ("weight", "hours", "words"),
    [
        ("0", "1", "Weight"),
        ("-5", "1", "Weight"),
        ("abc", "1", "Weight"),
        ("", "1", "Weight"),
        ("NaN", "1", "Weight"),
        ("Infinity", "1", "Weight"),
        (None, "1", "Weight"),
        ("10", "0", "Print time"),
        ("10", "-1", "Print time"),
        ("10", "abc", "Print time"),
        ("10", "inf", "Print time"),
    ],
)
def test_bad_numbers_are_refused_with_a_readable_message(config, weight, hours, words):
    with pytest.raises(ValueError, match=words) as info:
        quote(config, "Filament", "Prusa MK4S", weight, hours)
    assert "Decimal" not in str(info.value)
    assert "InvalidOperation" not in str(info.value)


def test_unknown_printer_is_refused(config):
    with pytest.raises(ValueError, match="Unknown printer 'Ender 3'"):
        quote(config, "Filament", "Ender 3", "10", "1")


def test_unknown_material_is_refused(config):
    with pytest.raises(ValueError, match="Unknown material 'Wood'"):
        quote(config, "Wood", "Prusa MK4S", "10", "1")
