"""Strict parameters, as Stripe reads them: a query parameter an operation
does not take, or a single-valued one given twice, gets 422 naming it, and
changes nothing; a repeatable one (`tag`) repeats. The parameters are the
contract's."""

from typing import Any

import httpx
import pytest

from tests.contract import Operation, operations, resolve
from tests.support import Api


def _strict() -> list[Operation]:
    """The operations that document 422, and so read their query strictly."""
    return [o for o in operations() if "422" in o.spec["responses"]]


def _query(operation: Operation) -> list[dict[str, Any]]:
    return [p for p in operation.parameters if p["in"] == "query"]


def _call(
    api: Api, operation: Operation, task_id: str, query: list[tuple[str, str]]
) -> httpx.Response:
    path = operation.path.format(user_id=api.user_id, task_id=task_id)
    required: list[tuple[str, str]] = [
        (str(p["name"]), str(resolve(p["schema"])["enum"][0]).lower())
        for p in _query(operation)
        if p.get("required") and p["name"] not in dict(query)
    ]
    return api.client.request(
        operation.method.upper(), path, params=tuple(required + query)
    )


@pytest.mark.parametrize("operation", _strict(), ids=lambda o: o.operation_id)
def test_an_unknown_query_parameter_is_422_naming_it(
    alice: Api, operation: Operation
) -> None:
    task = alice.new_task(completed=True)

    response = _call(alice, operation, task["id"], [("tags", "home")])

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["in"], error["pointer"]) == ("query", "/tags")
    assert error["detail"].startswith("unknown query parameter 'tags'")
    assert alice.get(task["id"]).json() == task


SINGLE_VALUED = [
    (operation, parameter)
    for operation in _strict()
    for parameter in _query(operation)
    if resolve(parameter["schema"]).get("type") != "array"
]


@pytest.mark.parametrize(
    ("operation", "parameter"),
    SINGLE_VALUED,
    ids=[f"{o.operation_id}-{p['name']}" for o, p in SINGLE_VALUED],
)
def test_a_single_valued_parameter_given_twice_is_422(
    alice: Api, operation: Operation, parameter: dict[str, Any]
) -> None:
    task = alice.new_task(completed=True)
    name = parameter["name"]

    response = _call(alice, operation, task["id"], [(name, "1"), (name, "2")])

    assert response.status_code == 422, response.text
    details = [e["detail"] for e in response.json()["errors"]]
    assert f"'{name}' is given 2 times; give it once" in details
    assert alice.get(task["id"]).json() == task


def test_a_repeatable_parameter_repeats(alice: Api) -> None:
    both = alice.new_task(tags=["home", "work"])
    alice.new_task(tags=["home"])

    response = alice.list(tag=["home", "work"])

    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == [both["id"]]


def test_a_probe_answers_whatever_query_a_load_balancer_adds(alice: Api) -> None:
    assert alice.client.get("/health", params={"probe": "lb"}).status_code == 200
