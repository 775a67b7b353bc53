"""Issue 13: openapi-spec-validator reads two environment variables through pydantic-settings, whose import
is over half of importing the validator. Where its settings module is the one checked, clientgen's stand-in
reads them instead: the same values for every environment, and no pydantic in the validating process."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clientgen import validation
from tests.conftest import ROOT

VALIDATE_AND_LIST_MODULES = """
import sys
from clientgen.loader import load_spec
from clientgen.validation import validate_spec
from pathlib import Path
slips = validate_spec(load_spec(Path(sys.argv[1]), [], validate=False))
print(len(slips), "pydantic" in sys.modules, "pydantic_settings" in sys.modules)
"""


def test_validating_a_spec_does_not_import_pydantic() -> None:
    spec = ROOT / "specs" / "airflow-2.10.5" / "v1.yaml"
    env = {"CLIENTGEN_NO_CACHE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", VALIDATE_AND_LIST_MODULES, str(spec)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False", "False"]


def _library_module(package: str) -> Any:
    """A validator's own settings module, loaded from its file under another name."""
    found = importlib.util.find_spec(package)
    assert found is not None and found.submodule_search_locations
    path = Path(next(iter(found.submodule_search_locations))) / "settings.py"
    spec = importlib.util.spec_from_file_location(f"_library_{package}_settings", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("OPENAPI_SPEC_VALIDATOR_", "OPENAPI_SCHEMA_VALIDATOR_")):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("package", ["openapi_spec_validator", "openapi_schema_validator"])
def test_a_stand_in_holds_what_the_library_reads_from_an_environment_without_its_variables(
    package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_variables(monkeypatch)
    library = _library_module(package)
    stand_in = validation._default_settings(f"{package}.settings")
    imported = {"BaseSettings", "SettingsConfigDict", "Field", "field_validator", "warnings", "lru_cache"}
    public = {name for name in vars(library) if not name.startswith("_")} - imported
    assert public <= set(vars(stand_in))
    if package == "openapi_spec_validator":
        for name in ("ENV_PREFIX", "RESOLVED_CACHE_MAXSIZE_DEFAULT", "SCHEMA_VALIDATOR_BACKEND_DEFAULT"):
            assert getattr(stand_in, name) == getattr(library, name)
        assert stand_in.SCHEMA_VALIDATOR_BACKEND_ALLOWED == library.SCHEMA_VALIDATOR_BACKEND_ALLOWED
        theirs, ours = library.OpenAPISpecValidatorSettings(), stand_in.OpenAPISpecValidatorSettings()
        fields = ["resolved_cache_maxsize", "schema_validator_backend"]
        assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
        assert stand_in.get_resolved_cache_maxsize() == library.get_resolved_cache_maxsize()
        assert stand_in.get_schema_validator_backend() == library.get_schema_validator_backend()
        assert set(library.OpenAPISpecValidatorSettings.model_fields) == set(fields)
    else:
        theirs, ours = library.get_settings(), stand_in.get_settings()
        assert ours.compiled_validator_cache_max_size == theirs.compiled_validator_cache_max_size
        assert set(library.OpenAPISchemaValidatorSettings.model_fields) == {"compiled_validator_cache_max_size"}
        assert ours is stand_in.get_settings()  # made once, as the library's lru_cache does


def test_a_variable_set_or_another_module_leaves_the_library_s_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_variables(monkeypatch)
    for package in ("openapi_spec_validator", "openapi_schema_validator"):
        monkeypatch.delitem(sys.modules, f"{package}.settings", raising=False)
    shipped = {package: validation._package_folder(package) for package in validation._SETTINGS_MODULES}
    other = tmp_path / "other"
    other.mkdir()
    (other / "settings.py").write_text("RESOLVED_CACHE_MAXSIZE_DEFAULT = 256\n", encoding="utf-8")
    assert (
        validation._settings_without_pydantic({"openapi_spec_validator": other, "openapi_schema_validator": other})
        == []
    )
    monkeypatch.setenv("openapi_spec_validator_resolved_cache_maxsize", "64")  # pydantic-settings ignores case
    assert validation._settings_without_pydantic(shipped) == ["openapi_schema_validator.settings"]  # type: ignore[arg-type]
    assert "openapi_spec_validator.settings" not in sys.modules
    assert sys.modules["openapi_schema_validator.settings"].get_settings().compiled_validator_cache_max_size == 128
    assert validation._settings_without_pydantic(shipped) == []  # type: ignore[arg-type]  # already there
