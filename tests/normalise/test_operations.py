"""Operations, parameters, bodies, responses (generator/normalise/operations.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from clientgen import ir
from clientgen.loader import load_spec
from clientgen.normalise import normalise
from clientgen.render import op_doc
from tests.conftest import MINIMAL, package_modules, run_cli, write
from tests.normalise import build, fields, model, op, real, targets
from tests.test_cli_errors import assert_one_line_error


def test_path_item_and_operation_parameters_merge(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /dags/{dag_id}/runs:
    parameters:
      - {name: dag_id, in: path, required: true, schema: {type: string}}
      - {name: limit, in: query, schema: {type: integer}, description: shared}
    get:
      operationId: list_runs
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1}, description: own}
        - {name: state, in: query, schema: {type: array, items: {type: string}}}
        - {name: update_mask, in: query, style: form, explode: false, schema: {type: array, items: {type: string}}}
      responses: {"204": {description: ok}}
""",
    )
    params = {p.wire_name: p for p in op(api, "list_runs").parameters}
    assert list(params) == ["dag_id", "limit", "state", "update_mask"]
    assert params["limit"].description == "own"  # the operation's own parameter wins
    assert params["dag_id"].location == "path" and params["dag_id"].required
    assert params["state"].list_style == "repeat"
    assert params["update_mask"].list_style == "csv"


def test_literal_tilde_and_format_path(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /dags/~/dagRuns/list:
    post: {operationId: batch, responses: {"204": {description: ok}}}
  /variables/{variable_key}:
    get:
      operationId: get_variable
      parameters: [{name: variable_key, in: path, required: true, schema: {type: string, format: path}}]
      responses: {"204": {description: ok}}
""",
    )
    assert op(api, "batch").path == "/dags/~/dagRuns/list"
    assert op(api, "batch").path_params == ()
    assert op(api, "get_variable").path_params[0].type == ir.Primitive("str")


def test_media_types_per_response(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /source:
    get:
      operationId: get_source
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: object, properties: {content: {type: string}}}}
            plain/text: {schema: {type: string}}
  /gone:
    delete:
      operationId: delete_it
      responses: {"204": {description: gone}}
""",
    )
    source = op(api, "get_source")
    assert [(c.media_type, c.kind) for c in source.accepts] == [("application/json", "json"), ("plain/text", "text")]
    assert source.result_type == ir.Ref("GetSourceResponse", "model")
    assert op(api, "delete_it").result_type == ir.NONE


def test_defaults_of_query_parameters_and_body_fields_in_the_ir(tmp_path: Path) -> None:
    api = build(
        tmp_path,
        """
paths:
  /tasks/{task_id}:
    patch:
      operationId: patch_task
      parameters:
        - {name: task_id, in: path, required: true, schema: {type: string, default: x}}
        - {name: verbose, in: query, schema: {type: boolean, default: false}}
        - {name: order_by, in: query, schema: {type: array, items: {type: string}, default: [id, "-name"]}}
        - {name: free, in: query, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                dry_run: {type: boolean, default: true}
                note: {type: string, nullable: true, default: null}
                limit: {$ref: '#/components/schemas/Limit'}
                mode: {type: string, default: "it's \\"quoted\\""}
      responses: {"204": {description: ok}}
components:
  schemas:
    Limit: {type: integer, default: 100}
""",
    )
    operation = op(api, "patch_task")
    params = {p.wire_name: p.default for p in operation.parameters}
    assert params == {
        "task_id": None,  # a path parameter is always passed
        "verbose": ir.Default(False),
        "order_by": ir.Default(("id", "-name")),
        "free": None,
    }
    assert operation.body is not None
    defaults = {f.wire_name: f.default for f in operation.body.fields}
    # a null default is what "not sent" means already: not worth a word
    assert defaults == {
        "dry_run": ir.Default(True),
        "note": None,
        "limit": ir.Default(100),
        "mode": ir.Default('it\'s "quoted"'),
    }
    doc = " ".join(op_doc(operation).split())
    assert (
        "Server defaults applied when an argument is not passed: ``verbose=False``, "
        '``order_by=["id", "-name"]``, ``dry_run=True``, ``limit=100``, ``mode=\'it\\\'s "quoted"\'``.'
    ) in doc
    assert ast.literal_eval(doc.split("``mode=")[1].split("``")[0]) == 'it\'s "quoted"'


def test_airflow_dry_run_defaults_are_documented() -> None:
    for name in ("patch_task_instance", "post_set_task_instances_state", "post_clear_task_instances", "clear_dag_run"):
        assert "``dry_run=True``" in op_doc(op(real("2.10.5"), name)), name
    for name in ("post_clear_task_instances", "clear_dag_run"):
        assert "``dry_run=True``" in op_doc(op(real("3.3.2"), name)), name
    assert "Server defaults" not in op_doc(op(real("2.10.5"), "get_connection"))


def test_patch_task_instance_docstring_in_a_generated_package(tmp_path: Path) -> None:
    target = targets()["2.10.5"]
    out = tmp_path / "client"
    args: list[str | Path] = ["generate", target.spec, "-o", out, "--package-name", "af2"]
    for overlay in target.overlays:
        args += ["--overlay", overlay]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    tree = ast.parse(package_modules(out, "af2", "resources")["_task_instance.py"])
    method = next(
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "patch_task_instance"
    )
    doc = ast.get_docstring(method) or ""
    assert "Server defaults applied when an argument is not passed: ``dry_run=True``." in doc


def test_success_media_types_that_would_break_the_accept_header_are_refused(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        MINIMAL.replace("application/json:", '"application/json\\r\\nX-Evil: 1":'),
    )
    out = tmp_path / "out"
    message = assert_one_line_error(
        run_cli("generate", spec, "-o", out, "--package-name", "mini"),
        "spec.yaml",
        14,
        "/paths/~1items~1{item_id}/get/responses/200/content/application~1json\\r\\nX-Evil: 1",
    )
    assert "Accept header" in message
    assert not out.exists()


def test_webhook_payloads_are_typed_models_and_the_webhooks_a_diagnostic(tmp_path: Path) -> None:
    """OpenAPI 3.1 webhooks are requests the server sends: no client method, but their payloads become
    models a receiver can decode into (``msgspec.json.decode(body, type=models.NewPetWebhookPayload)``)."""
    spec = write(
        tmp_path / "hooks.yaml",
        """openapi: 3.1.0
info: {title: Hooks, version: "1"}
paths: {}
webhooks:
  newPet:
    post:
      requestBody:
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}, tag: {type: string}}}
      responses: {"200": {description: ok}}
  petGone:
    post:
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Gone"}}}
      responses: {"200": {description: ok}}
components:
  schemas:
    Gone: {type: object, properties: {id: {type: integer}}}
""",
    )
    api = normalise(load_spec(spec))
    payload = fields(model(api, "NewPetWebhookPayload"))
    assert payload["name"].required and not payload["tag"].required
    assert {m.name for m in api.models} == {"Gone", "NewPetWebhookPayload"}
    (warning,) = api.diagnostics
    assert warning.pointer == "/webhooks" and "payload models are generated" in warning.message
