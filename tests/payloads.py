"""Request bodies for the mini test set (tests/criteria/mini-1.yaml)."""

import hashlib

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


def supplier(name: str, **fields) -> dict:
    """A vendor with everything an assessment summary gives of a supplier: a postal address,
    an email address and a PPON (derived from the name, so distinct names get distinct ones)."""
    digest = hashlib.sha256(name.encode()).digest()
    letters = "".join(chr(ord("A") + byte % 26) for byte in digest[:8])
    digits = f"{int.from_bytes(digest[8:10]) % 10_000:04d}"
    slug = "".join(c for c in name.lower() if c.isalnum()) or "supplier"
    return {
        "name": name,
        "ppon": f"{letters[:4]}-{digits}-{letters[4:]}",
        "address": {
            "street_address": "1 Market Street",
            "locality": "Leeds",
            "postal_code": "LS1 6DT",
            "country_name": "United Kingdom",
        },
        "email": f"bids@{slug}.example",
        **fields,
    }
