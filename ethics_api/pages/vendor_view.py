"""A vendor's own view: its results and assessment summaries once a procurement is closed,
and its right of reply (a dispute) as a form."""

from .blueprint import blp  # noqa: F401
