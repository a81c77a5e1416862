"""The generated OpenAPI document and the code can never drift apart.

schemathesis generates requests from /openapi.json (valid and invalid ones) and runs all of its
checks on every response: status codes, media types, headers, bodies, and that valid requests
are accepted and invalid ones refused.
"""

import zlib

import pytest
import schemathesis
from hypothesis import settings

from payloads import answers, assessment, vendor

schema = schemathesis.pytest.from_fixture("api_schema")

# Ids of rows the fixture creates, so that generated requests reach real vendors and
# assessments too, not only 404s.
seeded: dict[str, str] = {}


@pytest.fixture
def api_schema(make_app):
    app = make_app(RATE_LIMIT_DEFAULT="off")  # the contract is tested here, not the throttle
    seeded["key"] = app.config["ADMIN_KEY"]
    client = app.test_client()
    vendor_url = client.post("/v1/vendors", json=vendor()).headers["Location"]
    created = client.post(f"{vendor_url}/assessments", json=assessment(answers=answers(p1=0)))
    seeded["vendor_id"] = vendor_url.rsplit("/", 1)[1]
    seeded["assessment_id"] = created.json["id"]
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def _has_whole_float(value) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_whole_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_whole_float(v) for v in value)
    return False


@schemathesis.hook
def filter_body(context, body):
    """JSON Schema 2020-12 calls 2.0 an integer, the scoring contract refuses it.

    The document cannot state that difference, so bodies spelling an integer as a float are
    left to tests/test_api_assessments.py, which asserts that they are refused.
    """
    return not _has_whole_float(body)


# Rules the service enforces that no JSON Schema can state, by a phrase of the problem's
# detail. A schema-valid request refused for one of these reasons, and only these, is right.
BEYOND_THE_DOCUMENT = (
    "The answers do not fit",  # every indicator of the named set answered exactly once
    "The settlements do not fit",  # indicators of the named set, each settled once
    "No criteria set",  # the set must be one this deployment has loaded
    "No procurement has the id",  # the procurement must exist
    "The vendor changed since that ETag",  # If-Match must carry the ETag last read
    "The procurement changed since that ETag",
    "The weights do not fit",  # a weight for every criterion of the named set, and no other
    "The profile does not fit",  # an answer to every profile question of the named set
    "does not apply to the system",  # an indicator the procurement's profile leaves out
    "Answer the profile first",  # a set with profile questions needs answers to evaluate
    "The gate results do not fit",  # gates of the procurement's set, each named once
    "Give at least one gate",
    "The procurement is",  # lifecycle: e.g. assessments only while it is evaluating (409)
    "No vendor has the id",  # a bidder must be an existing vendor
    "This Idempotency-Key was already used",  # a retry must repeat the first request
    "Name the ",  # the assessor, moderator or person: required from admin keys only
    "components' weights add up to",  # with the ethics evaluation's share, to 100
    "has no indicator",  # a disputed indicator must be one of the named set
    "to dispute",  # a vendor disputes only a scorecard it has
    "is not a bidder",
)
# JSON Schema cannot compare two fields' dates or times.
CROSS_FIELD_RULES = {
    "Must not be before effective_date.",
    "Must be after since.",
    "Each component has its own name.",  # names compared without regard to case
}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code != "ST202" or response.status_code not in (409, 412, 422):
        return True
    problem = response.json()
    if any(phrase in problem.get("detail", "") for phrase in BEYOND_THE_DOCUMENT):
        return False
    messages = {m for error in problem.get("errors", []) for m in error["messages"]}
    return not messages or not messages <= CROSS_FIELD_RULES


@schemathesis.auth()
class AdminKey:
    """An admin key reaches every operation. Given as schemathesis auth, so that its checks
    can also send requests without it, or with a wrong one, and expect a 401."""

    def get(self, case, context):
        return seeded["key"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# The operations are spread over shards, each one test, so that parallel workers share them.
SHARDS = 8


def in_shard(shard: int):
    def matches(context) -> bool:
        operation = context.operation
        return zlib.crc32(f"{operation.method.upper()} {operation.path}".encode()) % SHARDS == shard

    return matches


def contract_test(shard: int):
    """The contract test of one shard's operations."""

    @schema.include(in_shard(shard)).parametrize()
    @settings(derandomize=True, database=None)  # the same cases on every run, CI included
    def test(case):
        # Changing the case (not the call) lets schemathesis re-check what is valid about it.
        # Half the cases (chosen by their content, so runs repeat) name the seeded rows.
        path = case.path_parameters or {}
        known = {k: v for k, v in seeded.items() if k in path}
        if known and zlib.crc32(repr(sorted(path.items())).encode()) % 2:
            case.path_parameters = {**path, **known}
        case.call_and_validate()

    return test


test_every_operation_keeps_the_contract_shard_0 = contract_test(0)
test_every_operation_keeps_the_contract_shard_1 = contract_test(1)
test_every_operation_keeps_the_contract_shard_2 = contract_test(2)
test_every_operation_keeps_the_contract_shard_3 = contract_test(3)
test_every_operation_keeps_the_contract_shard_4 = contract_test(4)
test_every_operation_keeps_the_contract_shard_5 = contract_test(5)
test_every_operation_keeps_the_contract_shard_6 = contract_test(6)
test_every_operation_keeps_the_contract_shard_7 = contract_test(7)


def test_the_shards_hold_every_operation(app):
    """No operation is left out of the contract tests, and no shard is empty."""
    document = app.test_client().get("/openapi.json").json
    operations = [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    ]
    shards = {
        zlib.crc32(f"{method.upper()} {path}".encode()) % SHARDS for method, path in operations
    }
    assert shards == set(range(SHARDS))
