"""Configuration: defaults, then ETHICS_* environment variables, then the caller's overrides."""

import os
from importlib.resources import files
from pathlib import Path

from .database import BUSY_TIMEOUT

# The criteria sets the package carries: the repository's criteria/ folder, which the wheel
# installs as ethics_api.default_criteria (and an editable install maps back to the folder).
PROJECT_CRITERIA_DIR = Path(str(files("ethics_api.default_criteria")))
# Of the sets the package carries, the one used when a request names none: the general set's
# latest version (the policing set is chosen by naming it).
SHIPPED_DEFAULT_SET = "ai-ethics"
# Where `ethics-api serve` answers by default: the links the command line prints, unless
# ETHICS_PUBLIC_URL says where the service is published.
LOCAL_ROOT = "http://127.0.0.1:8000/"


class Defaults:
    # Where the data lives. None means a SQLite file in the instance folder.
    DATABASE_URL: str | None = None
    CRITERIA_DIR: str = str(PROJECT_CRITERIA_DIR)
    # key@version, or a key for its latest version. None: for the shipped folder, the general
    # set; for another folder, its only key's latest version (several keys must name one).
    DEFAULT_CRITERIA_SET: str | None = None
    # Signing the session cookies of people signed in; None: one kept in the instance folder.
    SECRET_KEY: str | None = None
    SIGN_IN_LIFETIME_SECONDS: int = 8 * 60 * 60  # a working day, then sign in again
    # Assessments with evidence for 50 indicators fit in well under 1 MiB.
    MAX_CONTENT_LENGTH: int = 1024 * 1024
    MAX_JSON_DEPTH: int = 32
    # Pages of lists.
    PAGE_SIZE: int = 50
    MAX_PAGE_SIZE: int = 200

    API_TITLE = "Ethics scoring API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served by the app itself (see api/docs_assets.py): the docs work without internet.
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"

    # Rate limits (ratelimit.py): requests per API key, and failed authentications (401s) per
    # client address; a rate such as "300 per minute", or "off". The counts live in the
    # storage: memory:// counts in each gunicorn worker, redis://host:6379/0 shares them.
    RATE_LIMIT_DEFAULT: str = "300 per minute"
    RATE_LIMIT_FAILED_AUTH: str = "20 per minute"
    RATE_LIMIT_STORAGE_URI: str = "memory://"

    # Webhook targets (targets.py): false sends messages to public internet addresses only
    # (no server-side request forgery into the service's own network); true also to loopback,
    # private and link-local ones, for on-premises receivers.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool = False

    # The service's public address (e.g. https://ethics.example.gov.uk/), for the links in
    # documents sent to bidders and published (summaries, OCDS). None: the address each request
    # came to.
    PUBLIC_URL: str | None = None

    # How many reverse proxies in front of the service set X-Forwarded-For and -Proto; their
    # client address is then the one rate limits and logs see. 0: trust no such header (a
    # client could write it itself).
    TRUSTED_PROXIES: int = 0

    # Seconds a request waits for a lock the database holds for another transaction (SQLite's
    # write lock, a PostgreSQL row or advisory lock) before it is answered 503, Retry-After.
    DATABASE_BUSY_TIMEOUT_SECONDS: float = BUSY_TIMEOUT

    # The webhook worker (delivery.py): retries with exponential backoff, capped.
    WEBHOOK_BACKOFF_SECONDS: float = 10.0
    WEBHOOK_BACKOFF_CAP_SECONDS: float = 3600.0
    WEBHOOK_MAX_ATTEMPTS: int = 8
    WEBHOOK_TIMEOUT_SECONDS: float = 10.0
    WEBHOOK_BATCH_SIZE: int = 100


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def flag(value: object, name: str = "the value") -> bool:
    """True or false, from a bool or its spelling in an environment variable ("true", "0",
    ...); ValueError naming `name` otherwise, so a typo never silently means false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{name} must be true or false, not {value!r}")


def number(value: object, name: str = "the value") -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def wait_in_seconds(value: object, name: str = "the value") -> float:
    """A number of seconds to wait: more than nothing, and finite."""
    seconds = number(value, name)
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{name} must be a number of seconds above 0, not {value!r}")
    return seconds


def whole_number(value: object, name: str = "the value") -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def text(value: object, name: str = "the value") -> str:
    return str(value)


def web_address(value: object, name: str = "the value") -> str:
    address = str(value).strip()
    if not address.startswith(("https://", "http://")) or len(address.split("/")[2]) == 0:
        raise ValueError(f"{name} must be an http(s) address, not {value!r}")
    return address


# Every setting an ETHICS_* environment variable may give, and how its text is read.
ENVIRONMENT_SETTINGS = {
    "ETHICS_DATABASE_URL": ("DATABASE_URL", text),
    "ETHICS_DATABASE_BUSY_TIMEOUT_SECONDS": ("DATABASE_BUSY_TIMEOUT_SECONDS", wait_in_seconds),
    "ETHICS_CRITERIA_DIR": ("CRITERIA_DIR", text),
    "ETHICS_DEFAULT_CRITERIA_SET": ("DEFAULT_CRITERIA_SET", text),
    "ETHICS_RATELIMIT_DEFAULT": ("RATE_LIMIT_DEFAULT", text),
    "ETHICS_RATELIMIT_FAILED_AUTH": ("RATE_LIMIT_FAILED_AUTH", text),
    "ETHICS_RATELIMIT_STORAGE_URI": ("RATE_LIMIT_STORAGE_URI", text),
    "ETHICS_WEBHOOK_ALLOW_PRIVATE_TARGETS": ("WEBHOOK_ALLOW_PRIVATE_TARGETS", flag),
    "ETHICS_TRUSTED_PROXIES": ("TRUSTED_PROXIES", text),
    "ETHICS_PUBLIC_URL": ("PUBLIC_URL", web_address),
    "ETHICS_SECRET_KEY": ("SECRET_KEY", text),
    "ETHICS_SIGN_IN_LIFETIME_SECONDS": ("SIGN_IN_LIFETIME_SECONDS", whole_number),
    "ETHICS_WEBHOOK_BACKOFF_SECONDS": ("WEBHOOK_BACKOFF_SECONDS", number),
    "ETHICS_WEBHOOK_BACKOFF_CAP_SECONDS": ("WEBHOOK_BACKOFF_CAP_SECONDS", number),
    "ETHICS_WEBHOOK_MAX_ATTEMPTS": ("WEBHOOK_MAX_ATTEMPTS", whole_number),
    "ETHICS_WEBHOOK_TIMEOUT_SECONDS": ("WEBHOOK_TIMEOUT_SECONDS", number),
    "ETHICS_WEBHOOK_BATCH_SIZE": ("WEBHOOK_BATCH_SIZE", whole_number),
}


def criteria_folders(config) -> list[Path]:
    """The criteria folders: CRITERIA_DIR names one, or several joined by the path separator
    (":" on Linux), so that a buyer's own sets can sit beside the shipped ones."""
    return [Path(part) for part in str(config["CRITERIA_DIR"]).split(os.pathsep) if part]


def default_criteria_set(config) -> str | None:
    """The default set configured, or the shipped default when the shipped folder is used."""
    if config["DEFAULT_CRITERIA_SET"]:
        return config["DEFAULT_CRITERIA_SET"]
    shipped = PROJECT_CRITERIA_DIR.resolve()
    uses_shipped = any(f.resolve() == shipped for f in criteria_folders(config))
    return SHIPPED_DEFAULT_SET if uses_shipped else None


def from_environment(environ=os.environ) -> dict[str, object]:
    """The settings given as ETHICS_* variables, read as their types; ValueError naming the
    variable for a value that is not of its type (the service does not start on it)."""
    settings: dict[str, object] = {}
    for variable, (name, read) in ENVIRONMENT_SETTINGS.items():
        if environ.get(variable):
            settings[name] = read(environ[variable], variable)
    return settings


def proxy_count(value: object) -> int:
    """TRUSTED_PROXIES as a count from 0 to 10; ValueError otherwise."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or int(text) > 10:
        raise ValueError(f"TRUSTED_PROXIES must be a count from 0 to 10, not {value!r}")
    return int(text)
