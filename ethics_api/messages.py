"""Flatten marshmallow's nested error messages into (path, messages) pairs.

marshmallow reports errors as nested dicts keyed by field name or list index; users (and
problem+json clients) need one entry per offending place instead.
"""

from collections.abc import Iterator

Path = tuple[str | int, ...]


def flatten(messages: object, path: Path = ()) -> Iterator[tuple[Path, list[str]]]:
    """Yield (path, messages) for every leaf of a marshmallow error structure."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            # "_schema" holds errors about the object itself, not about one of its fields.
            yield from flatten(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        yield path, list(messages)
    elif isinstance(messages, list):
        for item in messages:
            yield from flatten(item, path)
    else:
        yield path, [str(messages)]


def dotted(path: Path) -> str:
    """`criteria[0].indicators[2].levels`: the readable form used for data files."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def pointer(path: Path) -> str:
    """`/answers/2/level`: an RFC 6901 JSON pointer, used in problem+json errors."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
