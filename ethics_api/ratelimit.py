"""Rate limits: requests per API key, and failed authentications per client address.

Each limit is a rate string ("300 per minute", "20/minute; 500/hour"), or "off" to turn it
off ("" too in the app's config; an empty ETHICS_* variable is ignored, like all of them):

* RATE_LIMIT_DEFAULT (ETHICS_RATELIMIT_DEFAULT): every authenticated request counts against
  its key, by key id, whatever the operation: one budget per key. Public routes (probes, the
  OpenAPI document, the docs and their assets) are never counted.
* RATE_LIMIT_FAILED_AUTH (ETHICS_RATELIMIT_FAILED_AUTH): every 401 counts against the client's
  address. Once an address has used them up, its failed authentications are answered 429
  rather than 401 until the window ends; its requests with a valid key are served as ever, so
  one misconfigured client cannot lock out its neighbours. Requests with no address (a WSGI
  call in-process) are not counted: one bucket for all of them would let one client lock out
  all.
  Behind reverse proxies the address is the last proxy's, unless TRUSTED_PROXIES
  (ETHICS_TRUSTED_PROXIES) says how many there are: then it is the client's, from
  X-Forwarded-For.

The counts live in RATE_LIMIT_STORAGE_URI (ETHICS_RATELIMIT_STORAGE_URI): memory:// counts in
each process, so N gunicorn workers let up to N times a limit through; redis://host:6379/0
shares the counts between workers and hosts. Windows are fixed, and start at a key's (or an
address's) first counted request.

The counting is the `limits` library's, called directly: one hit in the store per request.

A limit reached is a 429 problem+json, with Retry-After (seconds) and a detail naming the limit,
rendered by the same handler as every other error. When the store cannot be reached, requests
are let through and the failure is logged: the API does not go down with Redis.
"""

import logging
import math
import time
from dataclasses import dataclass

from apispec import BasePlugin
from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from .auth import PAGES, PUBLIC_ENDPOINTS
from .errors import ProblemApi, document_retry_after

OFF = frozenset({"", "off"})
KEY_PREFIX = "ethics-api"  # every count in the store is under it
PER_KEY_SCOPE = "key"
FAILED_AUTH_SCOPE = "failed-auth"
RESPONSE_NAME = "RATE_LIMITED"  # the OpenAPI component of the 429

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimits:
    """The app's limits, and the store their counts live in (app.extensions["ratelimit"])."""

    storage: Storage
    counter: FixedWindowRateLimiter
    per_key: list[RateLimitItem]
    failed_auth: list[RateLimitItem]

    def spent(self, items: list[RateLimitItem], *identifiers: str) -> tuple[str, int] | None:
        """Those of `items` used up for `identifiers`, and the seconds until they all renew;
        None when none is."""
        spent = [item for item in items if not self.counter.test(item, *identifiers)]
        if not spent:
            return None
        retry_after = max(
            _seconds_until(self.counter.get_window_stats(item, *identifiers).reset_time)
            for item in spent
        )
        return "; ".join(str(item) for item in spent), retry_after

    def hit(self, items: list[RateLimitItem], *identifiers: str) -> tuple[str, int] | None:
        """Count one request against `items`, in their order, up to the first it goes over:
        that limit and the seconds until its window ends; None when within all of them."""
        for item in items:
            if not self.counter.hit(item, *identifiers):
                reset = self.counter.get_window_stats(item, *identifiers).reset_time
                return str(item), _seconds_until(reset)
        return None


class MemoryCounts(MemoryStorage):
    """memory://, with expired counts swept while counting rather than by a timer thread.

    limits' MemoryStorage starts a thread (a 10 ms timer) on a hit whenever its last one has
    ended: under load, on about every other request, each waiting for its thread to start.
    A fixed window's count is dropped when it is read after its expiry anyway (`get`); the
    sweep, every SWEEP_EVERY hits, only frees the counts of keys and addresses not seen again.
    """

    SWEEP_EVERY = 1000

    def __init__(self, uri: str | None = None, **options) -> None:
        super().__init__(uri, **options)
        self.hits_since_sweep = 0

    # MemoryStorage's own scheduler, by its private name: the only way in. A test checks that
    # counting starts no thread, so a release of limits that renames it is noticed.
    def _MemoryStorage__schedule_expiry(self) -> None:
        self.hits_since_sweep += 1
        if self.hits_since_sweep >= self.SWEEP_EVERY:
            self.hits_since_sweep = 0
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def parse_limits(name: str, value: str | None) -> list[RateLimitItem]:
    """The limits a setting names; none when it is off. A setting that is neither fails start."""
    text = (value or "").strip()
    if text.lower() in OFF:
        return []
    try:
        return parse_many(text)
    except ValueError:
        raise ValueError(
            f"{name} is {text!r}: give a rate such as '300 per minute' "
            "(several separated by ';'), or 'off'"
        ) from None


def per_process_warning(config, workers: int) -> str | None:
    """A loud warning when the limits count in each worker's memory and there are several
    workers (each lets a key's whole limit through); None when the limits hold as set."""
    storage = _storage_uri(config)
    limited = [
        name
        for name in ("RATE_LIMIT_DEFAULT", "RATE_LIMIT_FAILED_AUTH")
        if parse_limits(name, config.get(name))
    ]
    if workers < 2 or not limited or not storage.startswith("memory://"):
        return None
    return (
        f"WARNING: rate limits are counted in each worker's memory ({storage}): with "
        f"{workers} workers, each lets the whole limit through, so {workers} times the limit "
        "is served (and as many times more for each instance). Share the counts: set "
        "ETHICS_RATELIMIT_STORAGE_URI=redis://host:6379/0."
    )


def _storage_uri(config) -> str:
    return (config.get("RATE_LIMIT_STORAGE_URI") or "memory://").strip()


def _store(uri: str) -> Storage:
    """The store a URI names; ValueError at start for one the service cannot count in.
    With wrap_exceptions, whatever the store's client raises comes out as a StorageError."""
    if uri.startswith("memory://"):
        return MemoryCounts(uri, wrap_exceptions=True)
    try:
        storage = storage_from_string(uri, wrap_exceptions=True)
    except (ConfigurationError, ValueError) as exc:
        raise ValueError(f"RATE_LIMIT_STORAGE_URI is {uri!r}: {exc}") from None
    if not isinstance(storage, Storage):  # limits' async stores (async+redis://...)
        raise ValueError(
            f"RATE_LIMIT_STORAGE_URI is {uri!r}: give memory:// or redis://host:6379/0"
        )
    return storage


def _authenticates() -> bool:
    """Whether auth.install's hook will look for a key: the same conditions, in the same order."""
    return (
        request.routing_exception is None
        and request.method != "OPTIONS"
        and request.endpoint not in PUBLIC_ENDPOINTS
        and request.blueprint != PAGES
    )


def _seconds_until(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


def install(app: Flask, api: ProblemApi) -> None:
    """Count requests per key and failed authentications per address, as configured.

    Runs after auth.install: the per-key check is a before_request hook after the one that
    identifies the caller, and before the body checks. Failed authentications are counted, and
    refused once too many, when their 401 is answered.
    """
    per_key = parse_limits("RATE_LIMIT_DEFAULT", app.config.get("RATE_LIMIT_DEFAULT"))
    failed_auth = parse_limits("RATE_LIMIT_FAILED_AUTH", app.config.get("RATE_LIMIT_FAILED_AUTH"))
    if not per_key and not failed_auth:
        return
    storage = _store(_storage_uri(app.config))
    # A key's limits are counted shortest window first, up to the first one it goes over.
    limits = RateLimits(storage, FixedWindowRateLimiter(storage), sorted(per_key), failed_auth)
    app.extensions["ratelimit"] = limits
    if per_key:
        _limit_keys(app, api, limits)
    if failed_auth:
        _limit_failed_authentications(app, api, limits)
    _document(api)


def _limit_keys(app: Flask, api: ProblemApi, limits: RateLimits) -> None:
    @app.before_request
    def count_the_key():
        """One request against the caller's key; 429 once its limit is reached. Requests no
        key was checked for (public routes, preflights, 404s) are not counted."""
        caller = g.get("caller")
        if caller is None:
            return None
        try:
            over = limits.hit(limits.per_key, KEY_PREFIX, PER_KEY_SCOPE, caller.key_id)
        except StorageError:
            log.exception("the rate limit store cannot be reached: a request not counted")
            return None
        if over is None:
            return None
        limit, retry_after = over
        log.info(
            "rate limit %s reached by key %s (%s) on %s %s",
            limit,
            caller.key_prefix,
            caller.role,
            request.method,
            request.path,
        )
        detail = (
            f"Too many requests with this API key: its limit is {limit}. "
            f"Retry after {retry_after} seconds."
        )
        return api.handle_http_exception(TooManyRequests(detail, retry_after=retry_after))


def _address() -> tuple[str, str, str]:
    return KEY_PREFIX, FAILED_AUTH_SCOPE, request.remote_addr or ""


def _spent_failures(limits: RateLimits) -> tuple[str, int] | None:
    """The address's used-up limits of failed authentications and the seconds until they
    renew; None if none is, or if the store cannot tell."""
    try:
        return limits.spent(limits.failed_auth, *_address())
    except StorageError:
        log.exception("the rate limit store cannot be reached: failed authentications not checked")
        return None


def _count_failure(limits: RateLimits) -> None:
    try:
        for item in limits.failed_auth:
            limits.counter.hit(item, *_address())
    except StorageError:
        log.exception("the rate limit store cannot be reached: a failed authentication not counted")


def _counting_failures() -> RateLimits | None:
    """The app's limits when this request's failed authentications count: a limit is set and
    the request has an address."""
    limits = current_app.extensions.get("ratelimit")
    if limits is None or not limits.failed_auth or not request.remote_addr:
        return None
    return limits


def sign_ins_refused_for() -> int | None:
    """Seconds before the request's address may try to sign in again, when its failed
    authentications (keys and passwords alike) have used up their limits; None otherwise."""
    limits = _counting_failures()
    spent = _spent_failures(limits) if limits is not None else None
    return None if spent is None else spent[1]


def count_failed_sign_in() -> None:
    """A wrong email or password counts against the address, as a wrong key does."""
    limits = _counting_failures()
    if limits is not None:
        _count_failure(limits)


def _limit_failed_authentications(app: Flask, api: ProblemApi, limits: RateLimits) -> None:
    def count_or_refuse_failed_authentication(response):
        """A 401 counts against the address; once its limits are spent, it becomes a 429.

        Only failed authentications are refused: a valid key from the same address (the
        same office, or every client behind one proxy) is served as ever. That tells an
        address over its limit which keys are valid, as the 401 did before it; keys carry
        256 random bits, so the limit is against noise and load, not guessing.
        """
        if response.status_code != 401 or not request.remote_addr or not _authenticates():
            return response
        spent = _spent_failures(limits)
        if spent is None:
            _count_failure(limits)
            return response
        limit, retry_after = spent
        # No credentials are logged: the address and the route only.
        log.warning(
            "refused %s %s from %s: too many failed authentications (%s)",
            request.method,
            request.path,
            request.remote_addr,
            limit,
        )
        return api.handle_http_exception(
            TooManyRequests(
                f"Too many failed authentications from {request.remote_addr}: the limit is "
                f"{limit}. Retry after {retry_after} seconds.",
                retry_after=retry_after,
            )
        )

    app.after_request(count_or_refuse_failed_authentication)


class _TooManyRequestsPlugin(BasePlugin):
    """Adds the 429 to every operation that takes a key, beside its 401 and 403."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict) or {"bearerAuth": []} not in operation.get(
                "security", []
            ):
                continue
            responses = operation.setdefault("responses", {})
            if "429" in responses:
                continue
            after = "403" if "403" in responses else "401" if "401" in responses else None
            ordered = {}
            for code, response in responses.items():
                ordered[code] = response
                if code == after:
                    ordered["429"] = RESPONSE_NAME
            ordered.setdefault("429", RESPONSE_NAME)
            operation["responses"] = ordered


def _document(api: ProblemApi) -> None:
    document_retry_after(
        api,
        RESPONSE_NAME,
        "Too Many Requests: the API key's rate limit, or the failed authentications allowed "
        "from the client's address, is used up",
        "Seconds until the limit's window ends",
    )
    plugin = _TooManyRequestsPlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
