"""The key that signs session cookies and CSRF tokens.

ETHICS_SECRET_KEY gives it; without one, the service makes one at first start and keeps it
in its instance folder, so that every worker, and the next start, signs with the same key.
"""

import os
import secrets
import time
from pathlib import Path

from flask import Flask

FILE_NAME = "secret_key"


def secret_key(app: Flask) -> str:
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    folder = Path(app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    try:
        # O_EXCL: of workers starting together, one writes the key and the others read it.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(handle, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return _read(path)


def _read(path: Path) -> str:
    for _ in range(50):  # another worker may be writing it this very moment
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it, or set ETHICS_SECRET_KEY")
