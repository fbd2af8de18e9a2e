#!/usr/bin/env bash
# Remove PrintDesk from a Linux lab PC: stop and remove the services, the program, the menu
# entry and the icon. The data folder (/var/lib/printdesk: every job's files and history) and
# the `printdesk` user stay unless --purge is given; back up first (`printdesk backup`).
#
#   sudo packaging/linux/uninstall.sh [--purge]
set -euo pipefail

PURGE=no
case "${1:-}" in
    --purge) PURGE=yes ;;
    "") ;;
    *) echo "uninstall.sh: unknown option $1 (only --purge)" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
    echo "uninstall.sh: run it as root (sudo)." >&2
    exit 2
fi
systemctl disable --now printdesk-intake.service printdesk-worker.service 2>/dev/null || true
rm -f /etc/systemd/system/printdesk-intake.service /etc/systemd/system/printdesk-worker.service
systemctl daemon-reload
rm -f /usr/share/applications/printdesk.desktop /usr/share/icons/hicolor/256x256/apps/printdesk.png
rm -rf /opt/printdesk
if [ "$PURGE" = yes ]; then
    rm -rf /var/lib/printdesk
    userdel printdesk 2>/dev/null || true
    echo "PrintDesk and its data are removed."
else
    echo "PrintDesk is removed; its data stays in /var/lib/printdesk (--purge removes it)."
fi
