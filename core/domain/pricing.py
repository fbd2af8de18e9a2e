"""Pricing of SPEC §4: Decimal money, half-up to cents, time rounded up, a minimum charge."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from core.config import Config

CENT = Decimal("0.01")
LIMIT = Decimal("1e9")  # far beyond any print; keeps quantize() within Decimal's precision


@dataclass(frozen=True)
class Quote:
    weight_g: Decimal
    hours_entered: Decimal
    hours_billed: Decimal
    material_cost: Decimal
    time_cost: Decimal
    subtotal: Decimal
    total: Decimal
    minimum_applied: bool

    def explain(self) -> str:
        if self.minimum_applied:
            return f"${self.subtotal} is below the minimum charge: ${self.total} applies."
        return f"${self.total}"


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Accept text or numbers from a form; floats go through str() so 0.1 stays 0.1."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} must be a number") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be a number")
    if abs(number) >= LIMIT:
        raise ValueError(f"{what} is too large")
    return number


def round_hours(hours: Decimal, step: Decimal) -> Decimal:
    """Round up to the next multiple of `step` (2.1 h → 2.5 h; 2.5 h stays)."""
    if step <= 0:
        return hours
    return (hours / step).to_integral_value(rounding=ROUND_CEILING) * step


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def quote(config: Config, material: str, printer: str, weight_g: object, hours: object) -> Quote:
    """Cost of a print. Raises ValueError with a readable message on bad input."""
    weight = to_decimal(weight_g, "Weight")
    time = to_decimal(hours, "Print time")
    if weight <= 0:
        raise ValueError("Weight must be more than 0 g")
    if time <= 0:
        raise ValueError("Print time must be more than 0 h")
    machine = config.printer(printer)
    if machine is None:
        raise ValueError(f"Unknown printer {printer!r}")
    if material not in config.pricing.per_gram:
        raise ValueError(f"Unknown material {material!r}")
    rate = machine.per_gram if machine.per_gram is not None else config.pricing.per_gram[material]
    billed = round_hours(time, config.pricing.time_step_hours)
    # Each line is rounded, then summed, so the breakdown a student sees adds up to the total.
    material_cost = money(weight * rate)
    time_cost = money(billed * machine.per_hour)
    subtotal = material_cost + time_cost
    minimum = money(config.pricing.minimum)
    return Quote(
        weight_g=weight,
        hours_entered=time,
        hours_billed=billed,
        material_cost=material_cost,
        time_cost=time_cost,
        subtotal=subtotal,
        total=max(subtotal, minimum),
        minimum_applied=subtotal < minimum,
    )
