"""Counting the calls of a function the code under test makes, without changing what it does."""


def recorded_calls(monkeypatch, owner, name: str, argument: int) -> list:
    """Wrap `owner.name` for the test: each call still runs it, and appends its positional
    argument number `argument` to the list returned (so the list grows by one per call)."""
    calls = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        calls.append(args[argument])
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls
