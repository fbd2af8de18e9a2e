"""Flask intake web app for students. Talks only to core/; never to SQLAlchemy or storage/.

`create_app(config, desk=None, test_config=None)` builds the app (flaskr's factory pattern);
`printdesk intake` serves it with waitress.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Config, load_config
from core.desk import Desk, open_desk
from intake import errors, filters, security, student, submit, uploads

MIB = 1024 * 1024
# The most text one form field may hold. Werkzeug (3.1.5 and later) checks this limit against
# its parser's buffer for file parts too, and that buffer is a read chunk (64 KiB) plus a few
# leftover bytes: a limit at or near the chunk size refused every real-size model.
FIELD_LIMIT = 1 * MIB


def create_app(config: Config | None = None, desk: Desk | None = None,
               test_config: dict[str, Any] | None = None) -> Flask:
    config = config or (desk.config if desk else load_config())
    desk = desk or open_desk(config)
    app = Flask(__name__)
    app.request_class = uploads.SpoolRequest
    app.config.update(
        # The signing secret lives in the database; the session key is derived from it so the
        # two never coincide.
        SECRET_KEY=hmac.new(desk.secret.encode(), b"intake-session", hashlib.sha256).hexdigest(),
        # Form fields and multipart overhead on top of the file limit; the exact file limit is
        # checked by core with a friendlier message.
        MAX_CONTENT_LENGTH=(config.limits.max_upload_mb + 1) * MIB,
        MAX_FORM_MEMORY_SIZE=FIELD_LIMIT,
        MAX_FORM_PARTS=100,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["printdesk"] = desk
    if config.intake.trusted_proxies:
        # Only then are X-Forwarded-For/-Proto/-Host believed, and only that many hops deep.
        n = config.intake.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n,  # type: ignore[method-assign]
                                x_port=n, x_prefix=n)
    CSRFProtect(app)
    # One limiter per app: its in-memory counts must not be shared between apps (or tests).
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    app.extensions["printdesk_limiter"] = limiter  # Flask-Limiter itself keeps only a weak ref
    for module in (security, uploads, errors, filters):
        module.register(app)
    app.register_blueprint(submit.bp)
    app.register_blueprint(student.bp)
    # Limits are checked by the decorator's wrapper, so the wrapper must be the view itself.
    # Only an accepted submission (the redirect to its success page) counts: a student fixing
    # a refused form is never locked out.
    app.view_functions["submit.post"] = limiter.limit(
        lambda: config.intake.submit_rate_limit, methods=["POST"],
        deduct_when=lambda response: response.status_code == 303,
    )(app.view_functions["submit.post"])
    return app
