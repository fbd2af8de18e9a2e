"""The Desk (core's service API) of the running app."""

from __future__ import annotations

from flask import current_app

from core.desk import Desk


def desk() -> Desk:
    return current_app.extensions["printdesk"]
