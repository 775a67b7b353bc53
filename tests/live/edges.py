"""Edge scenarios shared by the live suites of both Airflow versions (issue 9): what a suite that calls
every operation once cannot see. Each takes a client and the version's spelling of what differs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def paging_past_the_page_cap(c: Any, create_variable: Callable[[str], Any]) -> None:
    """Airflow caps ``limit`` at ``[api] maximum_page_limit`` (100): iter_variables(page_size=1000)
    must still yield all 250 variables."""
    keys = [f"edge_page_{i:03d}" for i in range(250)]
    for key in keys:
        create_variable(key)
    capped = c.variable.get_variables(limit=1000)
    assert len(capped.variables) == 100 and capped.total_entries >= 250  # the cap is real
    assert sorted(v.key for v in c.variable.iter_variables(page_size=1000) if v.key in keys) == keys
    for key in keys:
        c.variable.delete_variable(key)


def patches_whose_fields_equal_the_resource_id(
    c: Any,
    create_variable: Callable[[str], Any],
    patch_pool: Callable[..., Any],
    patch_variable: Callable[..., Any],
) -> None:
    """A host equal to the connection id, a description equal to the pool's name or the variable's
    key: the update mask must still name them (it used to leave them out by value)."""
    c.connection.post_connection(connection_id="edge_conn", conn_type="http", host="old.invalid")
    c.connection.patch_connection("edge_conn", body_connection_id="edge_conn", conn_type="http", host="edge_conn")
    assert c.connection.get_connection("edge_conn").host == "edge_conn"
    c.pool.post_pool(name="edge_pool", slots=1)
    patch_pool("edge_pool", slots=2, description="edge_pool")
    pool = c.pool.get_pool("edge_pool")
    assert (pool.slots, pool.description) == (2, "edge_pool")
    create_variable("edge_var")
    patch_variable("edge_var", value="edge_var", description="edge_var")
    variable = c.variable.get_variable("edge_var")
    assert (variable.value, variable.description) == ("edge_var", "edge_var")
    c.connection.delete_connection("edge_conn")
    c.pool.delete_pool("edge_pool")
    c.variable.delete_variable("edge_var")
