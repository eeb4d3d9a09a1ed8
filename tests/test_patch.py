"""patchTask: a JSON Merge Patch (RFC 7396) of a task's mutable fields.

The members are TaskPatch's in openapi.yaml: each one changes alone, each
nullable one clears with null, and null for any other is 422.
"""

from typing import Any

import pytest

from tests import contract
from tests.support import Api, Database

MEMBERS = contract.schema("TaskPatch")["properties"]
NULLABLE = [name for name, field in MEMBERS.items() if contract.unwrap(field)[1]]
NOT_NULLABLE = [name for name in MEMBERS if name not in NULLABLE]


def a_value(field: dict[str, Any]) -> Any:
    """A value, not null, that the field accepts."""
    schema, _ = contract.unwrap(field)
    return contract.another(schema, None)


def another(field: dict[str, Any], value: Any) -> Any:
    """A value the field accepts, other than `value`."""
    return contract.another(field, value)


@pytest.fixture
def task(alice: Api, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A task with every member set that the contract's cross-field rules
    allow alongside the member under test."""
    body = {name: a_value(field) for name, field in MEMBERS.items()}
    callspec = getattr(request.node, "callspec", None)
    member = callspec.params.get("member") if callspec else None
    body = contract.consistent("TaskCreate", body, keep=member)
    created = alice.create({**body, "title": "As created"})
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


@pytest.mark.parametrize("member", MEMBERS)
def test_a_member_changes_alone(alice: Api, task: dict[str, Any], member: str) -> None:
    value = another(MEMBERS[member], task[member])

    response = alice.patch(task["id"], {member: value})

    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched[member] == value
    unchanged = set(MEMBERS) - {member}
    assert {k: patched[k] for k in unchanged} == {k: task[k] for k in unchanged}
    assert patched["version"] == task["version"] + 1
    assert response.headers["ETag"] == f'"{patched["version"]}"'
    assert patched["updated_at"] > task["updated_at"]
    assert alice.get(task["id"]).json() == patched


@pytest.mark.parametrize("member", NULLABLE)
def test_null_clears_a_nullable_member(
    alice: Api, task: dict[str, Any], member: str
) -> None:
    assert task[member] is not None

    response = alice.patch(task["id"], {member: None})

    assert response.status_code == 200, response.text
    assert response.json()[member] is None


@pytest.mark.parametrize("member", NOT_NULLABLE)
def test_null_for_a_member_that_cannot_be_empty_is_422(
    alice: Api, task: dict[str, Any], db: Database, member: str
) -> None:
    before = db.snapshot()

    response = alice.patch(task["id"], {member: None})

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["in"], error["pointer"]) == ("body", f"/{member}")
    assert db.snapshot() == before


def test_an_empty_patch_changes_no_field_but_is_a_write(
    alice: Api, task: dict[str, Any]
) -> None:
    response = alice.patch(task["id"], {})

    assert response.status_code == 200, response.text
    patched = response.json()
    assert {k: patched[k] for k in MEMBERS} == {k: task[k] for k in MEMBERS}
    assert patched["version"] == task["version"] + 1


def test_if_match_with_the_current_version_applies(
    alice: Api, task: dict[str, Any]
) -> None:
    response = alice.patch(
        task["id"], {"completed": True}, headers={"If-Match": f'"{task["version"]}"'}
    )

    assert response.status_code == 200, response.text
    assert response.json()["completed"] is True


def test_if_match_with_an_old_version_is_412_and_changes_nothing(
    alice: Api, task: dict[str, Any], db: Database
) -> None:
    assert alice.patch(task["id"], {"title": "Changed meanwhile"}).status_code == 200
    before = db.snapshot()

    response = alice.patch(
        task["id"], {"completed": True}, headers={"If-Match": f'"{task["version"]}"'}
    )

    assert response.status_code == 412, response.text
    assert db.snapshot() == before


def test_a_toggle_from_the_list_needs_no_get(alice: Api) -> None:
    alice.new_task("Toggle me")
    [item] = alice.list().json()["items"]

    response = alice.patch(
        item["id"],
        {"completed": not item["completed"]},
        headers={"If-Match": f'"{item["version"]}"'},
    )

    assert response.status_code == 200, response.text
    assert response.json()["completed"] is not item["completed"]


def test_another_users_task_is_404_and_untouched(
    alice: Api, bob: Api, db: Database
) -> None:
    task = bob.new_task("Bob's")
    before = db.snapshot()

    response = alice.patch(task["id"], {"title": "Mine now"})

    assert response.status_code == 404, response.text
    assert db.snapshot() == before


def test_a_missing_task_is_404(alice: Api) -> None:
    response = alice.patch("00000000-0000-4000-8000-000000000000", {"title": "x"})

    assert response.status_code == 404
