"""Migrations: the schema they build is the one the models describe, and the data already
there is carried into each new shape."""

import datetime as dt
import json
import uuid

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from ethics_api import migrate
from ethics_api.database import make_engine
from ethics_api.models import Base


def test_the_migrated_schema_is_the_models(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _at_revision(url: str, revision: str):
    engine = make_engine(url)
    migrate.upgrade(engine, revision)
    return engine


def test_keys_and_names_become_people_and_evaluation_times_are_recovered(tmp_path):
    """Two keys of one name are one person; names only assessments or disputes bore become
    people too; a procurement past draft gets the time its move to evaluating was logged."""
    engine = _at_revision(f"sqlite:///{tmp_path / 'old.db'}", "0004")
    now = dt.datetime(2026, 11, 30, 12, 0)
    ids = {name: str(uuid.uuid4()) for name in ("org", "vendor", "p1", "p2", "k1", "k2", "k3")}
    began = dt.datetime(2026, 11, 30, 13, 0)
    with engine.begin() as connection:
        run = connection.execute
        run(
            text("INSERT INTO organisations VALUES (:org, 'Org', :now)"),
            {"org": ids["org"], "now": now},
        )
        run(
            text(
                "INSERT INTO vendors (id, organisation_id, name, created_at, updated_at, revision)"
                " VALUES (:vendor, :org, 'Acme', :now, :now, 1)"
            ),
            {"vendor": ids["vendor"], "org": ids["org"], "now": now},
        )
        for key, name in (("k1", "Alice"), ("k2", "Alice"), ("k3", "Bob")):
            run(
                text(
                    "INSERT INTO api_keys (id, organisation_id, name, prefix, secret_sha256, "
                    "role, created_at) VALUES (:id, :org, :name, :id, :id, 'assessor', :now)"
                ),
                {"id": ids[key], "org": ids["org"], "name": name, "now": now},
            )
        for number, assessor in enumerate(("Alice", "Carol")):
            run(
                text(
                    "INSERT INTO assessments (id, organisation_id, vendor_id, criteria_key, "
                    "criteria_version, criteria_sha256, assessor, moderated, answers, "
                    "submitted_at) VALUES (:id, :org, :vendor, 'mini', 1, 'x', :assessor, "
                    "false, '[]', :now)"
                ),
                {
                    "id": f"a{number}",
                    "org": ids["org"],
                    "vendor": ids["vendor"],
                    "assessor": assessor,
                    "now": now,
                },
            )
        for procurement, status in (("p1", "evaluating"), ("p2", "draft")):
            run(
                text(
                    "INSERT INTO procurements (id, organisation_id, ocid, title, buyer_name, "
                    "criteria_key, criteria_version, criteria_sha256, reuse_standalone, status, "
                    "created_at, updated_at, revision) VALUES (:id, :org, :id, 't', 'b', "
                    "'mini', 1, 'x', false, :status, :now, :now, 2)"
                ),
                {"id": ids[procurement], "org": ids["org"], "status": status, "now": now},
            )
        run(
            text(
                "INSERT INTO events VALUES (1, :began, :org, 'key', 'procurement.updated', "
                "'procurement', :p1, 'x', :change, :zero, 'h1')"
            ),
            {
                "began": began,
                "org": ids["org"],
                "p1": ids["p1"],
                "change": json.dumps({"status": "evaluating", "revision": 2}),
                "zero": "0" * 64,
            },
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        people = dict(connection.execute(text("SELECT name, id FROM people")).all())
        keys = dict(connection.execute(text("SELECT id, person_id FROM api_keys")).all())
        assessed = dict(connection.execute(text("SELECT id, person_id FROM assessments")).all())
        fixed = dict(
            connection.execute(text("SELECT id, weights_fixed_at FROM procurements")).all()
        )
    engine.dispose()
    assert sorted(people) == ["Alice", "Bob", "Carol"]
    assert keys == {
        ids["k1"]: people["Alice"],
        ids["k2"]: people["Alice"],
        ids["k3"]: people["Bob"],
    }
    assert assessed == {"a0": people["Alice"], "a1": people["Carol"]}
    assert fixed[ids["p2"]] is None
    assert str(fixed[ids["p1"]]).startswith("2026-11-30 13:00")
