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

from flask import make_response, request
from flask_smorest import Blueprint, abort
from sqlalchemy import text

from ..auth import principal
from ..db import session
from ..models import IdempotencyRecord

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


def _lock(api_key_id: str, key: str) -> None:
    db = session()
    if db.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"{api_key_id}:{key}".encode()).digest()
        db.execute(
            text("SELECT pg_advisory_xact_lock(:lock)"),
            {"lock": int.from_bytes(digest[:8], "big", signed=True)},
        )


def _fingerprint() -> str:
    """The request as the key promises it: method, path and the JSON body, canonically."""
    body = json.dumps(request.get_json(silent=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view):
    @wraps(view)
    def replayable(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200 or not all("!" <= c <= "~" for c in key):
            abort(400, message=f"{HEADER} must be 1 to 200 visible ASCII characters.")
        caller = principal()
        _lock(caller.key_id, key)
        fingerprint = _fingerprint()
        record = session().get(IdempotencyRecord, (caller.key_id, key))
        if record is not None:
            if record.request_sha256 != fingerprint:
                abort(422, message=f"This {HEADER} was already used with a different request.")
            replay = make_response(record.body, record.status, record.headers)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = make_response(view(*args, **kwargs))
        if 200 <= response.status_code < 300:
            kept = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
            session().add(
                IdempotencyRecord(
                    organisation_id=caller.organisation_id,
                    api_key_id=caller.key_id,
                    key=key,
                    request_sha256=fingerprint,
                    status=response.status_code,
                    headers=kept,
                    body=response.get_data(as_text=True),
                )
            )
        return response

    return Blueprint.doc(parameters=[PARAMETER])(replayable)
