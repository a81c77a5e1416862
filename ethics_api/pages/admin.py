"""Administration: inviting people to sign in."""

from .blueprint import blp  # noqa: F401
