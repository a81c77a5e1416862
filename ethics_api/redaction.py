"""What of a request may be written to a log: its path without the secrets a path can hold.

The one-time links that invite people to sign in carry their token as the path's last part;
the access log (serving.py) and the application's own error lines (errors.py) write paths
through `without_secrets`, so a log never lets its reader sign in as someone else.
"""

import re

# Paths whose last part is a secret: the one-time links that invite people to sign in.
_SECRET_PATHS = re.compile(r"(/invitations/)[^/?#\s]+")
REDACTED = "[redacted]"


def without_secrets(address: str) -> str:
    """A path or URL as it may be logged: no query string, no invitation token."""
    return _SECRET_PATHS.sub(rf"\g<1>{REDACTED}", address.split("?", 1)[0])
