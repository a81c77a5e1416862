"""What the API tests expect of a response, in one place: a problem, a creation, a plain 200."""

PROBLEM_JSON = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    """An RFC 9457 problem with `status`, as every error on every route must be; its body."""
    assert response.status_code == status, (status, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM_JSON
    body = response.json
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"] and body["detail"]
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


def created(response) -> dict:
    """A 201's body."""
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def ok(response):
    """A 200's body."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json
