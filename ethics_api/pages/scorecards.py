"""Vendor scorecards, a vendor's own view of its results, and its right of reply."""

from .blueprint import blp  # noqa: F401
