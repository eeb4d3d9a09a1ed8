"""Users never see, change or even detect each other's tasks."""

import pytest

from tests.support import Api, Database


@pytest.fixture
def alices_task(alice: Api) -> dict[str, object]:
    return alice.new_task("Alice's secret", description="for Alice only")


def test_another_users_path_is_403_for_every_operation(
    bob: Api, alices_task: dict[str, object], db: Database
) -> None:
    before = db.snapshot()
    task_id = alices_task["id"]

    responses = [
        bob.list(user_id="alice"),
        bob.create({"title": "planted"}, user_id="alice"),
        bob.get(task_id, user_id="alice"),
        bob.put(task_id, {"title": "hijacked"}, user_id="alice"),
        bob.delete(task_id, user_id="alice"),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert db.snapshot() == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_another_users_task_id_is_404_like_a_missing_one(
    bob: Api, alices_task: dict[str, object], db: Database, method: str
) -> None:
    before = db.snapshot()
    body = {"title": "hijacked"} if method == "PUT" else None
    missing = "00000000-0000-4000-8000-000000000000"

    stolen = bob.client.request(method, bob.task_url(alices_task["id"]), json=body)
    absent = bob.client.request(method, bob.task_url(missing), json=body)

    assert stolen.status_code == absent.status_code == 404
    assert stolen.json() == absent.json()
    assert db.snapshot() == before


def test_if_match_does_not_reveal_another_users_task(
    bob: Api, alices_task: dict[str, object]
) -> None:
    response = bob.put(alices_task["id"], {"title": "x"}, headers={"If-Match": '"9"'})

    assert response.status_code == 404


def test_lists_hold_only_the_callers_tasks(alice: Api, bob: Api) -> None:
    for i in range(3):
        alice.new_task(f"alice {i}")
        bob.new_task(f"bob {i}")

    for api in (alice, bob):
        for params in ({}, {"sort": "title"}, {"completed": "false"}):
            items = api.list(**params).json()["items"]
            assert {item["user_id"] for item in items} == {api.user_id}
            assert len(items) == 3


def test_a_cursor_from_another_user_is_refused(alice: Api, bob: Api) -> None:
    for i in range(3):
        alice.new_task(f"t{i}")
        bob.new_task(f"t{i}")
    alices_cursor = alice.list(limit=1).json()["next_cursor"]

    response = bob.list(limit=1, cursor=alices_cursor)

    assert response.status_code == 400


def test_another_user_with_the_same_idempotency_key_learns_nothing(
    alice: Api, bob: Api
) -> None:
    headers = {"Idempotency-Key": "guessable"}
    alice.create({"title": "Alice's"}, headers=headers)

    response = bob.create({"title": "Bob's"}, headers=headers)

    assert response.status_code == 201
    assert response.json()["title"] == "Bob's"
