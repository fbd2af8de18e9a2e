"""Built-in lists and prices from SPEC §4–§5; configuration may replace any of them."""

from __future__ import annotations

from core.domain.filetypes import MODEL_TYPES

FILAMENT = "Filament"
RESIN = "Resin"

METHOD_DESCRIPTIONS: dict[str, str] = {
    RESIN: "Super high resolution and detail; slow; best for small items; more expensive.",
    FILAMENT: "Good resolution, suitable for simpler models; fast; best for medium items; "
    "least expensive.",
}

COLORS: dict[str, tuple[str, ...]] = {
    FILAMENT: (
        "True Red", "True Orange", "Light Orange", "True Yellow", "Dark Yellow", "Lime Green",
        "Green", "Forest Green", "Blue", "Electric Blue", "Midnight Purple", "Light Purple",
        "Clear", "True White", "Gray", "True Black", "Brown", "Copper", "Bronze", "True Silver",
        "True Gold", "Glow in the Dark", "Color Changing",
    ),
    RESIN: ("Black", "White", "Gray", "Clear"),
}

DISCIPLINES: tuple[str, ...] = (
    "Art", "Architecture", "Landscape Architecture", "Interior Design", "Engineering",
    "Hobby/Personal", "Other",
)

# name, method, build volume W × D × H in mm
PRINTERS: tuple[tuple[str, str, tuple[float, float, float]], ...] = (
    ("Prusa MK4S", FILAMENT, (250.0, 210.0, 220.0)),
    ("Prusa XL", FILAMENT, (360.0, 360.0, 360.0)),
    ("Raise3D Pro 2 Plus", FILAMENT, (305.0, 305.0, 605.0)),
    ("Formlabs Form 3", RESIN, (145.0, 145.0, 175.0)),
)

PER_GRAM: dict[str, str] = {FILAMENT: "0.10", RESIN: "0.20"}
MINIMUM_CHARGE = "3.00"
TIME_STEP_HOURS = "0.5"

REJECT_REASONS: tuple[str, ...] = (
    "Non-manifold geometry",
    "Walls too thin",
    "Unprintable features",
    "File errors or corruption",
    "Model too large for the selected printer",
    "Model not properly scaled",
    "Inappropriate content",
)

UPLOAD_EXTENSIONS: tuple[str, ...] = MODEL_TYPES

# g/cm³, for a sliced file that gives filament length or resin volume but no weight.
DENSITIES: dict[str, str] = {
    FILAMENT: "1.24", RESIN: "1.15", "PLA": "1.24", "PETG": "1.27", "ABS": "1.04", "ASA": "1.07",
    "TPU": "1.21", "PC": "1.20", "NYLON": "1.14", "PA": "1.14", "HIPS": "1.04", "PVA": "1.23",
}
