"""What the validator says does not depend on the process's string hashing: jsonschema walks an object's extra
properties as a set, so which of two equal slips it met first, and the order of the names in "Additional
properties are not allowed (...)", changed from one run to the next (``PYTHONHASHSEED``), and with them the
warning's pointer in the manifest and the error line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write

TWO_SLIPS = """
openapi: 3.0.3
info: {title: Order, version: "1.0"}
paths:
  /names:
    get:
      operationId: getName
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Name"}
components:
  schemas:
    Name:
      type: object
      properties:
        alpha: {type: string, pattern: '^[\\p{Han}]*$'}
        beta: {type: string, pattern: '^[\\p{Han}]*$'}
        gamma: {type: string, pattern: '^[\\p{Han}]*$'}
"""

UNEXPECTED_KEYS = TWO_SLIPS.replace(
    "    Name:\n      type: object",
    "    Name:\n      type: object\n      additionalProperties: false\n      default: {zeta: 1, eta: 2, theta: 3}",
)


def _said_alike(spec: Path) -> tuple[int, str]:
    """What ``clientgen validate`` says of ``spec`` (its exit code, its lines but the timing), the same under each
    of six string hashings."""
    said = set()
    for seed in range(1, 7):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "CLIENTGEN_NO_CACHE": "1"}
        command = [sys.executable, "-m", "clientgen", "validate", str(spec)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        lines = [line for line in (done.stdout + done.stderr).splitlines() if " s; " not in line]
        said.add((done.returncode, "\n".join(lines)))
    assert len(said) == 1, said
    return said.pop()


def test_of_equal_slips_the_first_in_the_document_is_told_whatever_the_hashing(tmp_path: Path) -> None:
    code, text = _said_alike(write(tmp_path / "spec.yaml", TWO_SLIPS))
    assert code == 0 and "/components/schemas/Name/properties/alpha/pattern" in text, text


def test_unexpected_keys_are_named_in_the_documents_order_whatever_the_hashing(tmp_path: Path) -> None:
    code, text = _said_alike(write(tmp_path / "spec.yaml", UNEXPECTED_KEYS))
    assert code == 2 and "'zeta', 'eta', 'theta'" in text, text
