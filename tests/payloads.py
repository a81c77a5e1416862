"""Request bodies for the mini test set (tests/criteria/mini-1.yaml)."""

MINI_KEYS = ("p1", "p2", "p3", "o1", "o2", "t1", "t2")


def answer(key: str, level: int | None, **extra) -> dict:
    if level is None:
        return {"indicator": key, "not_applicable": True, "rationale": "Not offered.", **extra}
    return {"indicator": key, "level": level, **extra}


def answers(**levels) -> list[dict]:
    """Every mini indicator at level 2 unless given (None means N/A)."""
    return [answer(key, levels.get(key, 2)) for key in MINI_KEYS]


def assessment(assessor: str = "alice", **fields) -> dict:
    return {"assessor": assessor, "answers": answers(), **fields}


def vendor(name: str = "Acme Analytics", **fields) -> dict:
    return {"name": name, **fields}
