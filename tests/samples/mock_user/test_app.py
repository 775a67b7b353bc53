"""The user's tests: no server, the client's real machinery, typed answers."""

from __future__ import annotations

import pytest
from airflow_rest_2_10_5 import NotFoundError, models
from airflow_rest_2_10_5.testing import MockApi, UnexpectedCallError
from app import pause, paused_dag_ids, pool_slots


def dag(dag_id: str, paused: bool) -> models.DAG:
    return models.DAG(dag_id=dag_id, is_paused=paused)


def test_paused_dag_ids_reads_every_page() -> None:
    mock = MockApi()
    mock.dag.get_dags.returns(models.DAGCollection(dags=[dag("a", True), dag("b", False)], total_entries=3)).returns(
        models.DAGCollection(dags=[dag("c", True)], total_entries=3)
    )
    assert paused_dag_ids(mock.client()) == ["a", "c"]
    assert [call.query["offset"] for call in mock.dag.get_dags.calls] == [["0"], ["2"]]


def test_pause_sends_only_is_paused() -> None:
    mock = MockApi()
    mock.dag.patch_dag.returns(dag("etl", True))
    assert pause(mock.client(), "etl") is True
    (call,) = mock.dag.patch_dag.calls
    assert call.path == {"dag_id": "etl"}
    assert call.query["update_mask"] == ["is_paused"]
    body: models.DAGRequest = call.body  # the request model, decoded from what was sent
    assert body.is_paused is True


def test_pause_of_a_missing_dag() -> None:
    mock = MockApi()
    mock.dag.patch_dag.raises(NotFoundError, detail="DAG not found")
    assert pause(mock.client(), "nope") is False


def test_an_operation_without_an_answer_fails_the_test() -> None:
    mock = MockApi()
    with pytest.raises(UnexpectedCallError, match="get_pool was given no answer"):
        pool_slots(mock.client(), "default_pool")


def test_pool_slots() -> None:
    mock = MockApi()
    mock.pool.get_pool.returns(models.Pool(name="default_pool", slots=128))
    assert pool_slots(mock.client(), "default_pool") == 128
    assert mock.pool.get_pool.calls[0].path == {"pool_name": "default_pool"}
