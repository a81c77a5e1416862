"""Idempotency-Key on creating POSTs: a retried request never creates twice.

The first successful response to a key is stored in the same transaction as what it created,
and replayed for any later request with that key and the same body; the same key with another
body is 422. Requests with one key are serialised (PostgreSQL: an advisory lock held until the
transaction ends; SQLite: writes already hold the database's write lock), so simultaneous
retries yield one row and identical responses. Keys belong to the API key that sent them.
"""

import hashlib
import json
from functools import wraps

from flask import g, make_response, request
from flask_smorest import Blueprint, abort

from ..per_request import caller as request_caller
from ..per_request import session
from ..services import idempotency

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Any unique text (e.g. a UUID) to make retries safe: the same key and body "
    "replay the first response; the same key with another body is 422",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}


def _fingerprint() -> str:
    """The request as the key promises it: method, path and the JSON body, canonically."""
    # The body as check_request_body parsed it (None: no body).
    body = json.dumps(g.get("document"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view):
    @wraps(view)
    def replayable(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200 or not all("!" <= c <= "~" for c in key):
            abort(400, message=f"{HEADER} must be 1 to 200 visible ASCII characters.")
        caller = request_caller()
        idempotency.serialise(session(), caller.key_id, key)
        fingerprint = _fingerprint()
        record = idempotency.first_response(session(), caller.key_id, key)
        if record is not None:
            if record.request_sha256 != fingerprint:
                abort(422, message=f"This {HEADER} was already used with a different request.")
            replay = make_response(record.body, record.status, record.headers)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            kept = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
            idempotency.remember(
                session(),
                caller,
                key,
                fingerprint,
                response.status_code,
                kept,
                response.get_data(as_text=True),
            )
        return response

    return Blueprint.doc(parameters=[PARAMETER])(replayable)
