"""How `ethics-api serve` runs gunicorn, and what it lets gunicorn say about itself.

* The access log never holds a credential: gunicorn's own format would log the user of Basic
  authentication (`%(u)s`, which for `curl -u "$KEY:"` is the whole API key), the query
  string and the Referer; `CredentialFreeLogger` empties or trims those atoms, and every
  header or environment atom that carries credentials, whatever format is configured.
* gunicorn's refusals of requests it cannot parse (400, 414 request line too long, 431
  headers too large, ...) are written by gunicorn, not by the app: they are answered here in
  problem details like every other error, with nosniff.
* Responses name the service, not gunicorn, in their Server header.
* The first admin key, made on first start, is never printed where logs are kept: it is
  written to a file only the service's user may read, and its path is printed.
* Each worker, once it has built the app, moves everything built so far out of the garbage
  collector's reach (`gc.freeze`): the app's code, schemas, criteria and mappings live as long
  as the worker, and a full collection that walked them every time took over 100 ms, long
  enough to be a request's latency.

gunicorn has no setting for the last two answers (its Server header and its error pages are
written by module functions), so `speak_as_the_service` replaces those two module attributes
in the master before it forks; tests/test_http_edges.py checks both through a real gunicorn,
so an upgrade that moves them fails there rather than in production.
"""

import gc
import json
import os
from http import HTTPStatus
from pathlib import Path

import gunicorn.http.wsgi
import gunicorn.util
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .redaction import REDACTED, without_secrets

SERVER_NAME = "ethics-api"
PROBLEM_JSON = "application/problem+json"
# Request headers (and their CGI names in the environment) that carry credentials.
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key")
_CREDENTIAL_ATOMS = frozenset(
    [f"{{{name}}}i" for name in _CREDENTIAL_HEADERS]
    + [f"{{http_{name.replace('-', '_')}}}e" for name in _CREDENTIAL_HEADERS]
    + ["{set-cookie}o"]
)
# Atoms that hold a path or a URL, logged without their query string or invitation token.
_ADDRESS_ATOMS = frozenset(
    {"U", "f", "{raw_uri}e", "{path_info}e", "{http_referer}e", "{referer}i"}
)


class CredentialFreeLogger(Logger):
    """gunicorn's logger, with the access log's atoms emptied of credentials."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"  # the user of Basic authentication: an API key sent with curl -u
        atoms["q"] = atoms["{query_string}e"] = ""
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        target = without_secrets(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        atoms["r"] = f"{method} {target} {protocol}"
        for name in _ADDRESS_ATOMS & atoms.keys():
            atoms[name] = without_secrets(str(atoms[name] or "-"))
        for name in _CREDENTIAL_ATOMS & atoms.keys():
            atoms[name] = REDACTED
        return atoms


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own refusals (util.write_error's signature), as problem details."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": reason or HTTPStatus(status_int).phrase,
            "status": status_int,
            "detail": mesg or HTTPStatus(status_int).description,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        f"Server: {SERVER_NAME}\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


def freeze_what_the_app_built(worker) -> None:
    """gunicorn's post_worker_init hook: runs in each worker once its app is loaded."""
    gc.collect()
    gc.freeze()


def speak_as_the_service() -> None:
    """The Server header and gunicorn's own error answers, as the service's."""
    gunicorn.http.wsgi.SERVER = SERVER_NAME  # read by every response gunicorn starts
    gunicorn.util.write_error = write_problem  # what workers call to refuse a request


class Service(BaseApplication):
    """gunicorn serving the app that `load` builds, in each worker."""

    def __init__(self, load, bind: str, workers: int):
        self._load, self._bind, self._workers = load, bind, workers
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", self._bind)
        self.cfg.set("workers", self._workers)
        self.cfg.set("accesslog", "-")
        self.cfg.set("logger_class", CredentialFreeLogger)
        self.cfg.set("post_worker_init", freeze_what_the_app_built)
        # gunicorn 27 opens a control socket at one path in the home folder, which every
        # instance on the host would share; the service has no use for it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)
        speak_as_the_service()

    def load(self):
        return self._load()


def keep_first_key(instance_folder: str, secret: str) -> str:
    """Write the first admin key to a file only this user may read; what to print instead of
    the key: where it is (or, if it cannot be written, how to make another)."""
    prefix = secret.split("_")[1] if secret.count("_") >= 2 else "first"
    path = Path(instance_folder) / f"admin-key-eth_{prefix}"
    intro = "First start: created the organisation 'Default organisation' and its admin key."
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secret + "\n")
    except OSError as exc:
        return (
            f"\n{intro}\nIts key is not printed in the server's log, and it could not be "
            f"written to {path} ({exc.strerror}).\nMake an admin key with: "
            "ethics-api keys create --role admin --name 'Your Name'\n"
        )
    return (
        f"\n{intro}\nIts key is not printed in the server's log: it is in the file\n\n"
        f"    {path}\n\n"
        "readable by this user only. Keep the key somewhere safe, then delete the file.\n"
        "Send it with every request: Authorization: Bearer <key>\n"
    )
