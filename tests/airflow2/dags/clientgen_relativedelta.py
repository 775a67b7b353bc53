"""A DAG of the project's own, put in the live Airflow 2.x server's DAG folder by scripts/airflow_server.py:
its schedule is a dateutil relativedelta (no example DAG has one), which Airflow 2.x dumps with every
attribute, the absolute ones (year, month, hour, ...) null unless set (specs/overlays/airflow-2-fixes.yaml)."""

import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from dateutil.relativedelta import relativedelta

with DAG(
    dag_id="clientgen_relativedelta",
    schedule=relativedelta(months=1, day=1),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["clientgen"],
):
    EmptyOperator(task_id="noop")
