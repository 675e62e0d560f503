"""Security headers on every response, Secure cookies over HTTPS, and failures that outlive a rollback.

The Content-Security-Policy allows only the app's own files ('self'): no inline script, no
inline style, no other site, no framing. Three templates still carry inline event handlers
(onchange="this.form.submit()" on two producer pickers, onclick="window.print()" on a stock
document); rather than break them, their exact text is allowed by hash ('unsafe-hashes'
permits those two strings and nothing else). Moving them into static/js would let the two
hashes go. The <script type="application/json"> data blocks of the sell screen are data,
never run, so the policy does not concern them. A template that must run an inline
<script> marks it with nonce="{{ csp_nonce() }}": a fresh random value per response, which
an injected script cannot know.
"""
from __future__ import annotations

import base64
import hashlib
import secrets

from flask import current_app, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from ..db import unit_of_work
from ..extensions import db
from ..services import security

# The inline handlers the existing templates use, allowed by their hash and nothing else.
ALLOWED_INLINE_HANDLERS = ("this.form.submit()", "window.print()")


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-hashes' " + " ".join(_hash(h) for h in ALLOWED_INLINE_HANDLERS),
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The sell screen may use a phone's camera to scan barcodes; nothing else is needed.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (or the config says always)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def _secure_cookies(response) -> None:
    # Other cookies (the till's, the language) get Secure over HTTPS too; the session cookie is
    # written after this hook, by _SessionInterface.
    cookies = response.headers.getlist("Set-Cookie")
    if not cookies or not any("; secure" not in c.lower() for c in cookies):
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        response.headers.add("Set-Cookie", cookie if "; secure" in cookie.lower() else cookie + "; Secure")


def csp_nonce() -> str:
    """This response's nonce for an inline <script nonce="..."> (created on first use)."""
    if "_pos_csp_nonce" not in g:
        g._pos_csp_nonce = secrets.token_urlsafe(16)
    return g._pos_csp_nonce


def init_app(app) -> None:
    app.session_interface = _SessionInterface()
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if "_pos_csp_nonce" in g:
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
                "script-src 'self'", f"script-src 'self' 'nonce-{g._pos_csp_nonce}'", 1)
        if request.is_secure:
            _secure_cookies(response)
        _flush_security_failures()
        return response


def _flush_security_failures() -> None:
    """Write the wrong PINs this request noted: their use case rolled back, the count must not."""
    if not security.pending_failures():
        return
    try:
        with unit_of_work(db.session) as s:
            security.flush_pending(s)
    except Exception:  # noqa: BLE001 - the answer is already decided; a lost count is logged, not shown
        current_app.logger.exception("could not record a failed PIN")
