"""The board pack: one printable document per procurement for the board that approves the award."""

from .blueprint import blp  # noqa: F401
