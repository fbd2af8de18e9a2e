"""Quote suggestions: the weight and print time a slicer reported, from a sliced file staff
saved (source "file") or from the worker's automatic estimate (source "auto"), as
jobs.quote_suggestion and metadata.json carry them and the approve dialog shows them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.domain.pricing import quote
from core.sliced import SlicedFileError, SlicedInfo, grams, read_sliced

if TYPE_CHECKING:
    from core.context import Context


def duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"


def suggestion(ctx: Context, weight: Decimal, seconds: int, source: str, slicer: str,
               file: str | None, text: str, method: str, printer: str) -> dict[str, Any]:
    """The suggestion, with the cost the lab's prices give it (what the queue shows, "≈")."""
    hours = max((Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01")), Decimal("0.01"))
    grams = max(weight.quantize(Decimal("0.01")), Decimal("0.01"))
    try:
        cost: str | None = str(quote(ctx.config, method, printer, grams, hours).total)
    except ValueError:  # a printer or material no longer configured: no price, still a guide
        cost = None
    return {"weight_g": str(grams), "print_time_h": str(hours), "cost": cost, "source": source,
            "slicer": slicer, "file": file, "text": text}


def describe(info: SlicedInfo, weight: Decimal | None) -> str:
    """ "PrusaSlicer G-code: 3.94 g, 31 min 17 s" — where the approve dialog's numbers came from."""
    parts = [f"{weight.quantize(Decimal('0.01'))} g" if weight is not None else None,
             duration(info.print_time_s) if info.print_time_s is not None else None]
    values = ", ".join(p for p in parts if p) or "no weight or time in the file"
    name = " ".join(p for p in (info.slicer, info.version) if p)
    return f"{name} ({info.format}): {values}" if name else f"{info.format}: {values}"


def read_values(ctx: Context, path: Path, method: str, printer: str
                ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(what to record about the file in its event, the quote suggestion it gives or None)."""
    try:
        info = read_sliced(path)
    except (SlicedFileError, OSError) as exc:
        return {"error": str(exc)}, None
    weight, how = grams(info, method, ctx.config.densities)
    details: dict[str, Any] = {k: v for k, v in info.to_json().items()
                               if v not in (None, [], False)}
    details.update(how=how, summary=describe(info, weight))
    if weight is None or info.print_time_s is None:
        return details, None
    name = " ".join(p for p in (info.slicer or info.format, info.version) if p)
    return details, suggestion(ctx, weight, info.print_time_s, "file", name, path.name,
                               describe(info, weight), method, printer)
