"""Procurements: the list, and one procurement's status, ranking, readiness and the actions a role
allows."""

from .blueprint import blp  # noqa: F401
