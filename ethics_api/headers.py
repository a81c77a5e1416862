"""Security headers on every response the app gives: API documents, problems, the docs, the
OpenAPI document, summaries, static files and pages.

* `X-Content-Type-Options: nosniff` everywhere: a browser takes each response for what its
  Content-Type says, never for script or HTML it guessed.
* `Cache-Control: no-store` on every response to a request that carried credentials (an
  Authorization header or the pages' session cookie): what a key or a person may read stays
  out of shared and browser caches.
* A Content-Security-Policy: the pages and HTML summaries set their own, kept; /docs one that
  lets Swagger UI run its scripts from this service and its one inline script, known by its
  hash, and nothing else; every other response one that allows nothing to load or frame it.

gunicorn's own refusals (malformed requests) are written by ethics_api/serving.py, with nosniff.
"""

import base64
import hashlib
import re

from flask import Flask, current_app, request

DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
# What the rest of the app answers (JSON, problems, static files) loads nothing itself.
NOTHING_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# Swagger UI: its scripts and styles from /docs/assets/, the OpenAPI document and the calls
# "Try it out" makes to this service, its icons as data: URIs. (The styles it sets from its
# scripts go through the DOM, which style-src does not govern: no 'unsafe-inline' is needed.)
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' {scripts}; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _carries_credentials() -> bool:
    session_cookie = current_app.config.get("SESSION_COOKIE_NAME", "session")
    return "Authorization" in request.headers or session_cookie in request.cookies


def _docs_policy(page: bytes) -> str:
    """The docs' policy, allowing the page's inline scripts by their SHA-256 (the page is built
    from the configuration, so the hashes are taken from what is sent)."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    ]
    return DOCS_POLICY.format(scripts=" ".join(hashes))


def secure(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    if _carries_credentials():
        response.headers["Cache-Control"] = "no-store"
    if request.endpoint == DOCS_ENDPOINT and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = _docs_policy(response.get_data())
    else:
        response.headers.setdefault("Content-Security-Policy", NOTHING_POLICY)
    return response


def install(app: Flask) -> None:
    """Run `secure` after every other after_request hook, whenever they were registered: Flask
    runs them last registered first, so it goes first in the list. The pages' own policy is
    then kept, and a response another hook replaced (a 429 for failed authentications) gets
    the headers too."""
    app.after_request_funcs.setdefault(None, []).insert(0, secure)
