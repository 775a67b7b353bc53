"""A user's code written against the generated Airflow 2.10.5 client."""

from __future__ import annotations

from airflow_rest_2_10_5 import Client, NotFoundError, models


def paused_dag_ids(client: Client) -> list[str]:
    return [dag.dag_id for dag in client.dag.iter_dags(page_size=2) if dag.is_paused and dag.dag_id]


def pause(client: Client, dag_id: str) -> bool:
    """Pauses ``dag_id``; False when there is no such DAG."""
    try:
        client.dag.patch_dag(dag_id, is_paused=True)
    except NotFoundError:
        return False
    return True


def pool_slots(client: Client, name: str) -> int:
    pool: models.Pool = client.pool.get_pool(name)
    return pool.slots if isinstance(pool.slots, int) else 0
