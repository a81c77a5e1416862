"""The assessment form: an evaluator's answers, saved as a private draft as they go, submitted when
complete."""

from .blueprint import blp  # noqa: F401
