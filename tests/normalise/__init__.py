"""Tests of the normaliser's passes, one module per pass, and the helpers they share:
an IR built from a small inline spec, or from a configured Airflow target."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from clientgen import ir
from clientgen.config import Target, load_targets
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from tests.conftest import ROOT, write

HEAD = """
openapi: 3.0.3
info: {title: T, version: "1"}
"""


def build(tmp_path: Path, body: str) -> ir.Api:
    return normalise(load_spec(write(tmp_path / "spec.yaml", HEAD + body)))


def op(api: ir.Api, name: str) -> ir.Operation:
    return next(o for o in api.operations if o.operation_id == name)


def model(api: ir.Api, name: str) -> ir.Model:
    return next(m for m in api.models if m.name == name)


def fields(m: ir.Model) -> dict[str, ir.Field]:
    return {f.wire_name: f for f in m.fields}


def body_secrets(api: ir.Api, operation_id: str) -> tuple[str, ...]:
    """The secret fields of an operation's body model: what the runtime redacts from errors."""
    body = op(api, operation_id).body
    return next(m for m in api.models if m.name == body.model).secret_fields if body and body.model else ()


@cache
def targets() -> dict[str, Target]:
    return {t.name.removeprefix("airflow-"): t for t in load_targets(ROOT / "pyproject.toml")}


@cache
def real(version: str) -> ir.Api:
    """The IR of a configured Airflow target (overlays applied), as generation builds it."""
    target = targets()[version]
    return normalise(load_spec(target.spec, target.overlays, validate=False))
