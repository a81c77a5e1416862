"""The webhook worker: sends the outbox's due messages, signed, with retries and backoff.

`ethics-api webhooks run` calls `run`, which calls `deliver_due` in a loop. Each message is
claimed in a short transaction of its own (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the
write lock taken at BEGIN), which moves its `next_attempt_at` past the time an attempt can take
(a lease) and counts the attempt; it is then POSTed outside any transaction, and the result is
recorded in a second short transaction. So several workers never send one message at once, no
transaction stays open across the network, and a worker that dies mid-send only delays the
message until its lease runs out (it is then sent again with the same webhook-id).

Every request carries the Standard Webhooks headers: webhook-id (the message id, the same on
every attempt), webhook-timestamp (unix seconds, when this attempt was signed) and
webhook-signature (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the
subscription's `whsec_` secret). Any 2xx answer delivers the message; anything else (another
status, a redirect, no answer, a timeout) is retried after `base * 2**(attempts - 1)` seconds,
capped, until the last allowed attempt fails, which marks it failed.

One message never stops the worker: whatever goes wrong preparing, sending or recording it (a
URL stored before the API refused its port, a bug) is that message's failed attempt, retried
like any other, and logged; the others are delivered. Messages go only to public internet
addresses unless private targets are allowed (see `ethics_api.targets`), checked on the very
address connected to.
"""

import datetime as dt
import functools
import json
import logging
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from standardwebhooks import Webhook as Signer

from . import targets
from .config import flag, number, whole_number
from .database import Database
from .enums import DeliveryStatus
from .models import Webhook, WebhookAttempt, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

USER_AGENT = "ethics-api-webhooks/1"
MAX_ERROR_LENGTH = 1000
MAX_INTERVAL_SECONDS = 3600.0

# Each setting of the worker, and how a configured value is read.
_SETTINGS = (
    ("backoff_seconds", number),
    ("backoff_cap_seconds", number),
    ("max_attempts", whole_number),
    ("timeout_seconds", number),
    ("batch_size", whole_number),
    ("allow_private_targets", flag),
)


@dataclass(frozen=True)
class Settings:
    """How the worker retries, and where it may send."""

    backoff_seconds: float = 10.0
    backoff_cap_seconds: float = 3600.0
    max_attempts: int = 8
    timeout_seconds: float = 10.0
    batch_size: int = 100
    allow_private_targets: bool = False  # loopback, private, link-local receivers too

    def __post_init__(self):
        for name in ("backoff_seconds", "backoff_cap_seconds", "timeout_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be more than 0, not {getattr(self, name)!r}")
        for name in ("max_attempts", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")
        if not isinstance(self.allow_private_targets, bool):
            raise ValueError(
                f"allow_private_targets must be true or false, not {self.allow_private_targets!r}"
            )

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        """From the app's configuration (`WEBHOOK_BACKOFF_SECONDS`, ...: its defaults, then
        the ETHICS_* variables, then the caller's overrides; see `ethics_api.config`)."""
        values = {}
        for name, read in _SETTINGS:
            key = f"WEBHOOK_{name.upper()}"
            if key in config:
                values[name] = read(config[key], key)
        return cls(**values)

    def backoff(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt: base * 2**(attempts - 1), capped."""
        exponent = min(attempts - 1, 64)  # 2**64 times any base is past every cap
        return dt.timedelta(
            seconds=min(self.backoff_cap_seconds, self.backoff_seconds * 2**exponent)
        )

    @property
    def lease(self) -> dt.timedelta:
        """How long a claimed message is left alone: longer than one attempt can take (the
        timeout bounds connecting and each read, not their sum, hence the margin)."""
        return dt.timedelta(seconds=5 * self.timeout_seconds + 30)


@dataclass(frozen=True)
class Outcome:
    """One attempt, as it was recorded."""

    delivery_id: str
    message_id: str
    event: str
    url: str
    attempt: int
    max_attempts: int
    attempted_at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    status: str  # delivered, pending (retried at next_attempt_at), failed, or superseded
    next_attempt_at: dt.datetime | None

    def describe(self) -> str:
        """One line of progress output. The URL without its query: it may carry a token."""
        answer = f"HTTP {self.status_code}" if self.status_code is not None else self.error
        if self.status == DeliveryStatus.DELIVERED:
            result = "delivered"
        elif self.status == DeliveryStatus.PENDING:
            result = f"retry at {_stamp(self.next_attempt_at)}"
        elif self.status == DeliveryStatus.FAILED:
            result = f"failed after {self.attempt} attempts"
        else:
            result = "already taken over by another worker"
        return (
            f"{_stamp(self.attempted_at)} {self.message_id} {self.event} -> {_shown(self.url)} "
            f"attempt {self.attempt}/{self.max_attempts}: {answer} in {self.duration_ms} ms; "
            f"{result}"
        )


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _shown(url: str) -> str:
    """scheme://host:port/path of a URL, never its query or user info (they may carry a
    credential). Never raises: stored URLs may predate the API's checks (a port of 99999)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ":<invalid port>"
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return f"{parts.scheme}://{host}{port}{parts.path}"


# --- HTTP --------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is the receiver's answer (not 2xx): recorded, never followed


# Where the address is checked. http.client opens its socket through the instance attribute
# `_create_connection` (socket.create_connection by default; the stdlib keeps it replaceable),
# with the URL's own host and port: replaced by `targets.connect`, which resolves the name once,
# checks every address and connects to one of them. So the address checked is the address
# connected to, and the Host header, TLS SNI and certificate check still use the URL's name.
class _Guarded:
    def __init__(self, *args, allow_private: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(targets.connect, allow_private=allow_private)


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool):
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req):
        connection = functools.partial(_GuardedHTTPConnection, allow_private=self.allow_private)
        return self.do_open(connection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool):
        super().__init__()
        self.allow_private = allow_private

    def https_open(self, req):
        connection = functools.partial(_GuardedHTTPSConnection, allow_private=self.allow_private)
        return self.do_open(connection, req, context=self._context)


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """urllib that follows no redirect and connects only where the address policy allows.

    No proxy from the environment either: through a proxy, the proxy would resolve the name
    and connect, and the address checked here would be the proxy's, not the receiver's.
    """
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _NoRedirects,
        _GuardedHTTPHandler(allow_private),
        _GuardedHTTPSHandler(allow_private),
    )


_OPENERS = {allowed: _opener(allowed) for allowed in (False, True)}

# http(url, body, headers, timeout) -> the answer's status code; raises when there is none.
HttpPost = Callable[[str, bytes, dict[str, str], float], int]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    *,
    allow_private: bool = False,
) -> int:
    """POST with the stdlib client; the status of any answer, an exception when there is none
    (targets.TargetRefused, inside a URLError, when the host's address is not allowed)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENERS[allow_private].open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as answer:  # a non-2xx answer is still an answer
        answer.close()
        return answer.code


def _error_text(exc: Exception) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, targets.TargetRefused):
        text = str(reason)  # it says what and why itself: "refused: ...", "invalid URL: ..."
    elif isinstance(reason, Exception):
        text = f"{type(reason).__name__}: {reason}"
    else:
        text = str(reason)
    return _clean(text)


def _clean(text: str) -> str:
    """An error text fit to store: PostgreSQL text cannot hold NUL, which a stored URL might."""
    return text.replace("\x00", "\\x00")[:MAX_ERROR_LENGTH]


def signed_headers(secret: str, message_id: str, body: str, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    signature = Signer(secret).sign(message_id, dt.datetime.fromtimestamp(timestamp, dt.UTC), body)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


# --- the outbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    delivery_id: str
    message_id: str
    event: str
    payload: dict
    url: str
    secret: str
    attempt: int


def _write_sessions(engine_or_db: Engine | Database) -> sessionmaker:
    if isinstance(engine_or_db, Database):
        return engine_or_db.write_sessions
    # SQLite engines from database.make_engine take the write lock at BEGIN with this option.
    engine = engine_or_db.execution_options(sqlite_immediate=True)
    return sessionmaker(engine, expire_on_commit=False)


def _claim(sessions: sessionmaker, now: dt.datetime, settings: Settings) -> _Claim | None:
    """The next due message of an active subscription, leased to this worker; None if none."""
    with sessions() as session, session.begin():
        row = session.execute(
            select(WebhookDelivery, Webhook.url, Webhook.secret)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                Webhook.active,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(1)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        ).first()
        if row is None:
            return None
        delivery, url, secret = row
        delivery.attempts += 1
        delivery.next_attempt_at = now + settings.lease
        return _Claim(
            delivery.id,
            delivery.message_id,
            delivery.event,
            delivery.payload,
            url,
            secret,
            delivery.attempts,
        )


def _post(claim: _Claim, http: HttpPost, settings: Settings) -> int:
    """Prepare and send one attempt: the receiver's status code."""
    targets.endpoint(claim.url)  # a stored URL may predate the API's checks: say what is wrong
    body = json.dumps(claim.payload, ensure_ascii=False, separators=(",", ":"))
    headers = signed_headers(claim.secret, claim.message_id, body, int(time.time()))
    return http(claim.url, body.encode(), headers, settings.timeout_seconds)


def _send(claim: _Claim, http: HttpPost, settings: Settings) -> tuple[int | None, str | None, int]:
    """(status code, error, duration in ms) of one attempt. Never raises: whatever stopped this
    attempt is recorded, and the worker goes on with the other messages."""
    started = time.perf_counter()
    try:
        status_code, error = _post(claim, http, settings), None
    except (OSError, HTTPException) as exc:  # no answer, a refused target, a bad URL
        status_code, error = None, _error_text(exc)
    except Exception as exc:  # a bug, or a stored row the API would refuse today
        log.exception("webhook message %s: unexpected error", claim.message_id)
        kind = type(exc)  # named in full: "binascii.Error" says more than "Error"
        name = kind.__qualname__
        if kind.__module__ != "builtins":
            name = f"{kind.__module__}.{name}"
        status_code, error = None, _clean(f"unexpected error: {name}: {exc}")
    return status_code, error, max(0, round((time.perf_counter() - started) * 1000))


def _attempt(
    sessions: sessionmaker,
    claim: _Claim,
    attempted_at: dt.datetime,
    clock: Callable[[], dt.datetime],
    http: HttpPost,
    settings: Settings,
) -> Outcome:
    """Send one claimed message and record the attempt, whatever goes wrong with it."""
    answer = _send(claim, http, settings)
    try:
        return _record(sessions, claim, attempted_at, clock(), answer, settings)
    except OperationalError:
        raise  # the database is away: every message waits; the lease brings this one back
    except Exception:  # this attempt's result cannot be stored: store that it failed instead
        log.exception("webhook message %s: could not record the attempt", claim.message_id)
        failed = (None, "unexpected error: the attempt's result could not be recorded", answer[2])
        return _record(sessions, claim, attempted_at, clock(), failed, settings)


def _report(report: Callable[[Outcome], None], outcome: Outcome) -> None:
    """Tell `report` about an attempt; its failure is logged, not the worker's end (the
    attempt itself is recorded already, with its real result)."""
    try:
        report(outcome)
    except Exception:
        log.exception("webhook message %s: could not report the attempt", outcome.message_id)


def _record(
    sessions: sessionmaker,
    claim: _Claim,
    attempted_at: dt.datetime,
    finished_at: dt.datetime,
    answer: tuple[int | None, str | None, int],
    settings: Settings,
) -> Outcome:
    status_code, error, duration_ms = answer
    next_attempt_at = None
    values: dict = {}
    if status_code is not None and 200 <= status_code < 300:
        status = DeliveryStatus.DELIVERED
        values = {"status": status, "delivered_at": finished_at}
    elif claim.attempt >= settings.max_attempts:
        status = DeliveryStatus.FAILED
        values = {"status": status}
    else:
        status = DeliveryStatus.PENDING
        next_attempt_at = finished_at + settings.backoff(claim.attempt)
        values = {"next_attempt_at": next_attempt_at}
    with sessions() as session, session.begin():
        session.add(
            WebhookAttempt(
                delivery_id=claim.delivery_id,
                attempted_at=attempted_at,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        # Only while the claim is still ours: after an expired lease another worker owns it.
        changed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claim.delivery_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.attempts == claim.attempt,
            )
            .values(**values)
        ).rowcount
    if changed != 1:
        status, next_attempt_at = "superseded", None
    return Outcome(
        claim.delivery_id,
        claim.message_id,
        claim.event,
        claim.url,
        claim.attempt,
        settings.max_attempts,
        attempted_at,
        status_code,
        error,
        duration_ms,
        status,
        next_attempt_at,
    )


def deliver_due(
    engine_or_db: Engine | Database,
    now: dt.datetime | None = None,
    http: HttpPost | None = None,
    limit: int | None = None,
    settings: Settings | None = None,
    report: Callable[[Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Attempt up to `limit` due messages (default: the settings' batch size), one at a time.

    `now` fixes the clock for the whole call (what is due, and the times recorded and
    scheduled); by default each step reads the real clock. The webhook-timestamp header is
    always the real time, as receivers compare it with their own clock. `report` is called
    after each attempt; `stop` is asked before each one. `http` sends (default: `post`, with
    the settings' address policy).
    """
    settings = settings or Settings()
    http = http or functools.partial(post, allow_private=settings.allow_private_targets)
    limit = settings.batch_size if limit is None else limit
    clock = (lambda: now) if now is not None else utcnow
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    sessions = _write_sessions(engine_or_db)
    outcomes: list[Outcome] = []
    while len(outcomes) < limit and not (stop and stop()):
        attempted_at = clock()
        claim = _claim(sessions, attempted_at, settings)
        if claim is None:
            break
        outcome = _attempt(sessions, claim, attempted_at, clock, http, settings)
        outcomes.append(outcome)
        if report is not None:
            _report(report, outcome)
    return outcomes


# --- the loop ----------------------------------------------------------------------------------


def run(
    app,
    once: bool = False,
    interval: float = 5.0,
    echo: Callable[[str], None] | None = None,
    http: HttpPost | None = None,
    settings: Settings | None = None,
) -> int:
    """Deliver until SIGTERM or SIGINT (or, with `once`, until nothing is due); the attempts made.

    Between rounds it sleeps `interval` seconds (0 < interval <= 3600), woken at once by a
    signal; a signal during an attempt lets that attempt finish and be recorded first. A second
    signal gets the default behaviour back (e.g. Ctrl-C interrupts at once).
    """
    if not 0 < interval <= MAX_INTERVAL_SECONDS:
        raise ValueError(f"interval must be more than 0 and at most {MAX_INTERVAL_SECONDS:g} s")
    echo = echo or (lambda line: print(line, flush=True))
    settings = settings or Settings.from_config(app.config)
    database: Database = app.extensions["database"]
    stopping = threading.Event()
    previous: dict[int, object] = {}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)
        previous.clear()

    def on_signal(number, _frame) -> None:
        echo(f"{signal.Signals(number).name}: stopping after the current attempt")
        stopping.set()
        restore()

    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, on_signal)
    attempts = 0
    try:
        url = database.engine.url.render_as_string(hide_password=True)
        echo(
            f"Delivering webhooks from {url}: up to {settings.max_attempts} attempts, "
            f"backoff {settings.backoff_seconds:g} s doubling to {settings.backoff_cap_seconds:g} s"
            + ("" if once else f", polling every {interval:g} s")
            + (", private targets allowed" if settings.allow_private_targets else "")
        )
        while not stopping.is_set():
            try:
                done = deliver_due(
                    database,
                    http=http,
                    settings=settings,
                    report=lambda outcome: echo(outcome.describe()),
                    stop=stopping.is_set,
                )
            except OperationalError as exc:  # the database is away: try again next round
                if once:
                    raise
                echo(f"database unavailable, retrying in {interval:g} s: {exc.orig}")
                done = []
            attempts += len(done)
            if len(done) < settings.batch_size:  # nothing more is due now
                if once:
                    break
                stopping.wait(interval)
    finally:
        restore()
    echo(f"Stopped after {attempts} attempts.")
    return attempts
