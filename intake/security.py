"""Security headers on every response (SPEC §10). No inline script or style anywhere."""

from __future__ import annotations

from flask import Flask, Response, request

from core.domain import links

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


def security_headers(private: bool) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    return [*headers, ("Cache-Control", "no-store")] if private else headers


def _headers(response: Response) -> Response:
    private = request.path.startswith(links.PRIVATE) or request.method == "POST"
    for name, value in security_headers(private):
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    app.after_request(_headers)
