"""Write the app icon's files for installers from the one the console draws (desktop/icon.py):
packaging/icons/printdesk-256.png (Linux menus) and printdesk.ico (Windows shortcut, bundle).

Run:  QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402 - after the path and platform set-up above
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from desktop.icon import app_icon  # noqa: E402

OUT = ROOT / "packaging" / "icons"


def png_bytes(size: int) -> bytes:
    pixmap = app_icon().pixmap(QSize(size, size))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPixmap needs it
    OUT.mkdir(parents=True, exist_ok=True)
    big = Image.open(io.BytesIO(png_bytes(256))).convert("RGBA")
    big.save(OUT / "printdesk-256.png")
    big.save(OUT / "printdesk.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128),
                                           (256, 256)])
    print(f"wrote {OUT / 'printdesk-256.png'} and {OUT / 'printdesk.ico'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
