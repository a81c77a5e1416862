"""One open dispute per indicator, however many requests race to file it.

A vendor may hold one open dispute per indicator and scope. Two service instances (two apps,
each with its own connection pool) take sixteen requests at once for the same indicator, each
on its own thread, session and connection: exactly one is filed, the fifteen others are told
which dispute is still open. SQLite passes by taking its write lock at BEGIN; PostgreSQL passes
because filing locks the vendor's row before it looks for an open dispute.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ethics_api.enums import DisputeStatus

from conftest import client_with_key, make_key
from payloads import answers, vendor
from responses import created, ok

RACERS = 16
STATEMENT = "The evidence was in force before the assessment; it was overlooked."


def test_sixteen_racing_disputes_on_one_indicator_file_exactly_one(app, make_app):
    admin = app.test_client()
    vendor_id = created(admin.post("/v1/vendors", json=vendor("Racing Analytics")))["id"]
    body = {"assessor": "alice", "answers": answers()}
    created(admin.post(f"/v1/vendors/{vendor_id}/assessments", json=body))
    key = make_key(app, "vendor", "Racing reply desk", vendor_id=vendor_id)
    instances = [app, make_app()]
    clients = [client_with_key(instances[n % 2], key) for n in range(RACERS)]
    start = threading.Barrier(RACERS)
    url = f"/v1/vendors/{vendor_id}/disputes"

    def file_one(client) -> tuple[int, dict]:
        start.wait()  # every thread sends at the same moment
        response = client.post(url, json={"indicator": "p2", "statement": STATEMENT})
        return response.status_code, response.json

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answered = list(pool.map(file_one, clients))

    assert Counter(status for status, _ in answered) == {201: 1, 409: RACERS - 1}, answered
    (filed,) = [body for status, body in answered if status == 201]
    for status, body in answered:
        if status == 409:
            assert f"dispute {filed['id']} on p2 is still open" in body["detail"], body
    listed = ok(admin.get(f"{url}?status={DisputeStatus.OPEN}"))
    assert [dispute["id"] for dispute in listed] == [filed["id"]]
