#!/usr/bin/env bash
# Install PrintDesk on a Linux lab PC (systemd): the intake and the worker as services that start
# at boot and restart on failure, running as the system user `printdesk` with their data in
# /var/lib/printdesk, and the console in the desktop's application menu.
#
#   sudo packaging/linux/install.sh [--port PORT] [--public-url URL]
#
# Run it from a checkout of PrintDesk. It installs exactly the tested versions
# (requirements/run.txt, hash-checked) into /opt/printdesk/venv. Running it again updates the
# program and keeps the data (the database schema upgrades itself on the next start).
set -euo pipefail

PREFIX=/opt/printdesk
DATA=/var/lib/printdesk
PORT=8080
PUBLIC_URL=""
while [ $# -gt 0 ]; do
    case "$1" in
        --port) PORT="$2"; shift 2 ;;
        --public-url) PUBLIC_URL="$2"; shift 2 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run it as root (sudo)." >&2
    exit 2
fi
SOURCE="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$SOURCE/packaging/linux"
# The system's Python by default: the services' user must be able to run it, which a Python
# under an administrator's home folder (pyenv, conda) does not allow. PYTHON=... chooses another.
PYTHON="${PYTHON:-$(command -v /usr/bin/python3 python3 | head -n 1)}"
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "install.sh: PrintDesk needs Python 3.11 or newer (python3, or PYTHON=/path/to/python3)." >&2
    exit 2
fi

# The system user the services run as: no login, its home is the data folder.
if ! id printdesk >/dev/null 2>&1; then
    useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin printdesk
fi
if ! runuser -u printdesk -- "$PYTHON" -c '' 2>/dev/null; then
    echo "install.sh: the printdesk user cannot run $PYTHON (is it under a private home folder?)." \
        "Install the system's python3 (3.11+) or give one with PYTHON=/path/to/python3." >&2
    exit 2
fi
# Shared with the staff's desktop accounts through the printdesk group (setgid: new files keep
# the group); the services and the console write with umask 0007.
install -d -o printdesk -g printdesk -m 2770 "$DATA"
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    usermod -a -G printdesk "$SUDO_USER"
fi

# The program: the tested dependency versions first (hash-checked), then PrintDesk itself.
install -d -m 0755 "$PREFIX"
rm -rf "$PREFIX/src"
cp -r "$SOURCE" "$PREFIX/src"
rm -rf "$PREFIX/src/.git" "$PREFIX/src/.venv"
cp "$SOURCE/README.md" "$PREFIX/README.md"
if ! runuser -u printdesk -- "$PREFIX/venv/bin/python" -c '' 2>/dev/null; then
    rm -rf "$PREFIX/venv"  # none yet, or made from a Python the services cannot run
    "$PYTHON" -m venv "$PREFIX/venv"
fi
"$PREFIX/venv/bin/pip" install --quiet --require-hashes -r "$PREFIX/src/requirements/run.txt"
"$PREFIX/venv/bin/pip" install --quiet --no-deps "$PREFIX/src"

# The data folder, as the service user (init keeps what exists: safe to run again). At a
# terminal init asks for the staff password and the students' address; without one the console
# asks for the password at its first start.
init_args=(init --data "$DATA" --port "$PORT")
if [ -n "$PUBLIC_URL" ]; then init_args+=(--public-url "$PUBLIC_URL"); fi
if [ ! -t 0 ]; then init_args+=(--no-password); fi
runuser -u printdesk -- sh -c 'umask 0007; exec "$@"' sh \
    "$PREFIX/venv/bin/printdesk" "${init_args[@]}"
# The staff's console (printdesk group) reads and writes both; init makes them owner-only.
chmod 0660 "$DATA/printdesk.db" "$DATA/printdesk.toml"

# Services, the console's menu entry and icon.
install -m 0644 "$HERE/printdesk-intake.service" "$HERE/printdesk-worker.service" \
    /etc/systemd/system/
install -D -m 0644 "$SOURCE/packaging/icons/printdesk-256.png" \
    /usr/share/icons/hicolor/256x256/apps/printdesk.png
install -D -m 0644 "$HERE/printdesk.desktop" /usr/share/applications/printdesk.desktop
if command -v update-desktop-database >/dev/null; then update-desktop-database -q || true; fi
if command -v gtk-update-icon-cache >/dev/null; then
    gtk-update-icon-cache -q /usr/share/icons/hicolor || true
fi
systemctl daemon-reload
systemctl enable --now printdesk-intake.service printdesk-worker.service

echo "PrintDesk is installed. Intake: systemctl status printdesk-intake (port $PORT)."
echo "Staff console: PrintDesk in the application menu, for members of the printdesk group"
echo "(${SUDO_USER:-root} was added; others: sudo usermod -a -G printdesk NAME, then log in again)."
echo "Open the port for the campus network: sudo ufw allow $PORT/tcp"
