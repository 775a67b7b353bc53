"""``compiled.DataclassMethods``: the methods ``dataclasses`` makes for the IR's classes come from a file beside the
module's bytecode once it is written, and are the very code ``dataclasses`` compiles itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Each IR class's methods as code (what the function runs and is called with), the texts compiled on the way, and
# whether ``dataclasses`` is left as it was.
DESCRIBE = """
import dataclasses, json, sys
import clientgen.compiled
if "--as-dataclasses-compiles" in sys.argv:  # the hook taken out as soon as it is put in
    made = clientgen.compiled.DataclassMethods.__init__
    def made_and_undone(self, module_file):
        made(self, module_file)
        delattr(dataclasses, "exec")
    clientgen.compiled.DataclassMethods.__init__ = made_and_undone
import importlib
modules = [importlib.import_module(f"clientgen.{name}") for name in MODULES]
described = {}
for module in modules:
  for name, kind in sorted(vars(module).items()):
    if isinstance(kind, type) and dataclasses.is_dataclass(kind) and kind.__module__ == module.__name__:
        for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
            function = vars(kind).get(method)
            if function is None:
                continue
            code = function.__code__
            described[f"{module.__name__}.{name}.{method}"] = repr((
                code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
                code.co_flags, code.co_argcount, code.co_kwonlyargcount, code.co_filename, code.co_name,
                function.__annotations__, function.__defaults__, function.__kwdefaults__, function.__qualname__,
            ))
compiled = sum(module._METHODS.compiled for module in modules)
print(json.dumps({"compiled": compiled, "left": "exec" in vars(dataclasses), "methods": described}))
"""
# The modules whose dataclasses' methods are kept (``_METHODS``).
MODULES = ["ir", "config", "fetch", "layout_proof", "render.views"]


def described(prefix: Path, *, write: bool = True, plain: bool = False) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    if not write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    describe = f"MODULES = {MODULES!r}\n{DESCRIBE}"
    command = [sys.executable, "-c", describe] + (["--as-dataclasses-compiles"] if plain else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def kept_files(prefix: Path) -> list[Path]:
    return sorted(prefix.rglob("*.dataclasses"))


def test_the_methods_kept_are_the_ones_dataclasses_compiles(tmp_path: Path) -> None:
    """Compiled and kept by a first import, read by the next (none compiled), never written where bytecode is not;
    a garbled or foreign file is no file. Every method is the same code each way, and ``dataclasses`` is left as
    it was."""
    plain = described(tmp_path / "plain", write=False, plain=True)
    assert plain["compiled"] == 0 and not plain["left"]
    nothing_written = described(tmp_path / "none", write=False)
    assert nothing_written["compiled"] == len(nothing_written["methods"]) > 100  # type: ignore[arg-type]
    assert not kept_files(tmp_path / "none")

    first = described(tmp_path / "kept")
    assert first["compiled"] == nothing_written["compiled"] and len(kept_files(tmp_path / "kept")) == len(MODULES)
    second = described(tmp_path / "kept")
    assert second["compiled"] == 0
    assert first["methods"] == second["methods"] == nothing_written["methods"] == plain["methods"]
    assert not (first["left"] or second["left"] or nothing_written["left"])

    kept = next(path for path in kept_files(tmp_path / "kept") if path.name.startswith("ir."))
    content = kept.read_bytes()
    for garbled in (content[: len(content) // 2], b"x" + content[1:], content.replace(b"__init__", b"__tini__", 1)):
        kept.write_bytes(garbled)
        again = described(tmp_path / "kept", write=False)
        assert again["methods"] == plain["methods"], garbled[:40]


def test_every_module_keeping_its_methods_is_checked() -> None:
    generator = Path(__file__).resolve().parent.parent / "generator"
    keeping = {
        path.relative_to(generator).with_suffix("").as_posix().replace("/", ".")
        for path in generator.rglob("*.py")
        if "DataclassMethods(__file__)" in path.read_text(encoding="utf-8")
    }
    assert keeping == set(MODULES)
