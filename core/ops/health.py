"""What `printdesk doctor` reports besides the job-by-job consistency check."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import make_url

from core.desk import Desk
from core.ops.logsetup import log_dir
from storage.migrate import current_revision, head_revision


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    detail: str


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def run_checks(desk: Desk) -> list[Check]:
    config = desk.config
    checks = [
        Check("config file", True, str(config.config_file) if config.config_file
              else "none (built-in defaults)"),
        Check("data folder", config.data_dir.is_dir(), str(config.data_dir)),
    ]
    revision, head = current_revision(desk.db), head_revision()
    checks.append(Check("database", revision == head,
                        f"{safe_url(config.database_url)} (schema {revision or 'none'}, "
                        f"expected {head})"))
    if desk.db.journal_mode:
        checks.append(Check("SQLite journal", True, desk.db.journal_mode.upper() + (
            " (rollback journal: the database is on a network share)"
            if desk.db.journal_mode == "delete" else "")))
    checks.append(Check("storage folder", desk.store.writable(), str(config.storage_root)))
    # Not set yet is a normal first state (the console's lock screen asks for it), not damage.
    checks.append(Check("staff password", True,
                        "set" if desk.has_password() else "not set yet: the console asks for it "
                        "on first start (or run `printdesk password`)"))
    checks.append(Check("logs", True, str(log_dir(config))))
    return checks
