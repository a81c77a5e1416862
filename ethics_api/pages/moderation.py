"""Moderation: each disagreement with the evaluators' levels, rationales and evidence side by side,
and the moderator's settlement."""

from .blueprint import blp  # noqa: F401
