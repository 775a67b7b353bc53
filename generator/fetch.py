"""``clientgen fetch``: a spec from a package on the package index, a URL or a file, written with its
provenance (where it came from, the artifact's and the spec's sha256) beside it.

Imported by every command (``generate`` fetches a configured spec that is missing), so the network
and archive modules are imported only when something is fetched.

Everything fetched is untrusted: downloads are bounded in size and time, verify TLS, follow no
redirect, and a package's artifact must match the sha256 the index gives for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .cache import read_entry, write_entry
from .compiled import DataclassMethods
from .errors import SpecError, display_path

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_VARIABLE = "CLIENTGEN_INDEX_URL"
PROVENANCE_SUFFIX = ".provenance.json"
# A wheel of Airflow is ~13 MB; a spec ~1-13 MB. Anything far beyond is refused rather than read.
MAX_ARTIFACT_BYTES = 512 * 1024 * 1024
MAX_SPEC_BYTES = 64 * 1024 * 1024
TIMEOUT_SECONDS = 60.0

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*==\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*$")


# the methods ``dataclasses`` makes for the classes below, compiled once and kept (``compiled``)
_METHODS = DataclassMethods(__file__)


@dataclass(frozen=True)
class Fetched:
    """A spec's bytes and where they came from (the provenance written beside it)."""

    name: str  # the file name to store it under
    content: bytes
    provenance: dict[str, str]


# -- where known packages keep their spec, and the corrections clientgen ships for them -------------

# The overlays in specs/overlays/ (shipped in the wheel as clientgen/overlays/) that correct Airflow's
# spec where its server disagrees, and the minor releases each concerns: (first, last), inclusive.
# docs/airflow-releases.md says how each range was checked; tests/test_airflow_releases.py holds it.
AIRFLOW_OVERLAYS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "airflow-2-fixes.yaml": ((2, 0), (2, 11)),
    "airflow-2.9-fixes.yaml": ((2, 9), (2, 11)),
    "airflow-2.10-fixes.yaml": ((2, 10), (2, 11)),
}


def airflow_overlays(version: str) -> list[str]:
    """The shipped overlays that concern Airflow ``version``, in the order they apply."""
    numbers = re.match(r"(\d+)\.(\d+)", version)
    if numbers is None:
        return []
    minor = (int(numbers.group(1)), int(numbers.group(2)))
    return [name for name, (first, last) in AIRFLOW_OVERLAYS.items() if first <= minor <= last]


def overlays_dir() -> Path:
    """The shipped overlays: ``clientgen/overlays`` in an installed wheel, ``specs/overlays`` in a
    source checkout or an editable install."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "overlays", here.parent / "specs" / "overlays"):
        if (candidate / "airflow-2-fixes.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"clientgen's overlays not found next to {here}")


def known_spec(distribution: str, version: str) -> tuple[str, str]:
    """(distribution that holds the spec, path inside it) for a package clientgen knows: Airflow 2.x
    ships ``v1.yaml`` in ``apache-airflow``; 3.x ships its public REST spec in ``apache-airflow-core``
    (``apache-airflow`` 3.x is a meta-package)."""
    name = normalise_name(distribution)
    major = version.split(".", 1)[0]
    if name == "apache-airflow" and major in ("1", "2"):
        return "apache-airflow", "airflow/api_connexion/openapi/v1.yaml"
    if name in ("apache-airflow", "apache-airflow-core") and major.isdigit() and int(major) >= 3:
        return "apache-airflow-core", "airflow/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml"
    raise SpecError(
        f"clientgen does not know where {distribution} {version} keeps its spec: "
        f"give it with --package {distribution}=={version} --path PATH/INSIDE/THE/PACKAGE"
    )


def normalise_name(name: str) -> str:
    """PEP 503's normal form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(text: str) -> tuple[str, str]:
    """``NAME==VERSION`` -> (NAME, VERSION); anything else is refused."""
    match = _REQUIREMENT.match(text)
    if match is None:
        raise SpecError(f"{text!r} is not NAME==VERSION (like apache-airflow==2.10.5)")
    return match.group(1), match.group(2)


def is_requirement(text: str) -> bool:
    return _REQUIREMENT.match(text) is not None


# -- sources --------------------------------------------------------------------------------------


def fetch_source(source: str, path: str | None = None, index_url: str | None = None) -> Fetched:
    """The spec ``source`` names: ``NAME==VERSION`` (with ``path`` inside the package, or a package
    clientgen knows), an ``http(s)://`` URL, or a file."""
    if is_requirement(source):
        distribution, version = parse_requirement(source)
        return fetch_package(distribution, version, path, index_url)
    if path is not None:
        raise SpecError("--path goes with a package source (NAME==VERSION)")
    if source.startswith(("https://", "http://")):
        return fetch_url(source)
    return fetch_file(Path(source))


def fetch_file(file: Path) -> Fetched:
    try:
        if file.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError(f"larger than {_amount(MAX_SPEC_BYTES)}: not read", file=file)
        content = file.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", file=file) from None
    provenance = {"source": display_path(file), "kind": "file", "sha256": _sha256(content)}
    return Fetched(file.name, content, _stamped(provenance))


def fetch_url(url: str) -> Fetched:
    content = _download(url, MAX_SPEC_BYTES)
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name or "openapi.yaml"
    provenance = {"source": _without_credentials(url), "kind": "url", "sha256": _sha256(content)}
    return Fetched(_safe_file_name(name, url), content, _stamped(provenance))


def fetch_package(distribution: str, version: str, path: str | None, index_url: str | None = None) -> Fetched:
    holder, inner = (distribution, path) if path is not None else known_spec(distribution, version)
    _check_inner_path(inner)
    index = (index_url or os.environ.get(INDEX_VARIABLE) or DEFAULT_INDEX).rstrip("/")
    artifact = _pick_artifact(index, holder, version)
    key = f"{artifact.sha256 or artifact.url}\0{inner}"
    content = read_entry("fetched-spec", _sha256(key.encode())) if artifact.sha256 else None
    if content is None:
        data = _download(artifact.url, MAX_ARTIFACT_BYTES)
        digest = _sha256(data)
        if artifact.sha256 and digest != artifact.sha256:
            raise SpecError(f"{artifact.filename}: sha256 {digest} but the index says {artifact.sha256}: not used")
        content = _member(artifact.filename, data, inner)
        if artifact.sha256:
            write_entry("fetched-spec", _sha256(key.encode()), content)
    provenance = {
        "source": f"{distribution}=={version}",
        "kind": "package",
        "distribution": holder,
        "version": version,
        "path": inner,
        "artifact": artifact.filename,
        "artifact_url": _without_credentials(artifact.url),
        "artifact_sha256": artifact.sha256 or "(the index gave none)",
        "sha256": _sha256(content),
    }
    return Fetched(PurePosixPath(inner).name, content, _stamped(provenance))


def _stamped(provenance: dict[str, str]) -> dict[str, str]:
    return {**provenance, "fetched_by": f"clientgen {__version__}"}


# -- the package index (PEP 691 JSON, or PEP 503 HTML) -------------------------------------------


@dataclass(frozen=True)
class _Artifact:
    filename: str
    url: str
    sha256: str | None


_METHODS.keep()


def _pick_artifact(index: str, distribution: str, version: str) -> _Artifact:
    """The wheel of ``distribution==version`` (a pure-Python one first), else its sdist."""
    page = f"{index}/{normalise_name(distribution)}/"
    artifacts = [a for a in _index_files(page) if _release_of(a.filename, distribution) == version]
    wheels = sorted(
        (a for a in artifacts if a.filename.endswith(".whl")),
        key=lambda a: ("-none-any" not in a.filename, a.filename),
    )
    sdists = [a for a in artifacts if a.filename.endswith((".tar.gz", ".zip"))]
    chosen = wheels or sdists
    if not chosen:
        raise SpecError(f"{distribution}=={version} has no wheel or sdist on {_without_credentials(index)}")
    return chosen[0]


def _release_of(filename: str, distribution: str) -> str | None:
    """The version in an artifact's file name, if the file belongs to ``distribution``."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        if len(parts) < 5:
            return None
        name, release = parts[0], parts[1]
    else:
        suffix = next((s for s in (".tar.gz", ".zip") if filename.endswith(s)), None)
        if suffix is None:
            return None
        name, _, release = filename[: -len(suffix)].rpartition("-")
    return release if normalise_name(name) == normalise_name(distribution) else None


def _index_files(page: str) -> list[_Artifact]:
    body, content_type = _get(page, MAX_SPEC_BYTES, accept="application/vnd.pypi.simple.v1+json, text/html;q=0.1")
    if "json" in content_type:
        try:
            files = json.loads(body)["files"]
            return [
                _Artifact(str(f["filename"]), urllib.parse.urljoin(page, str(f["url"])), _hash_of(f.get("hashes")))
                for f in files
                if not f.get("yanked")
            ]
        except (ValueError, KeyError, TypeError):
            raise SpecError(f"{_without_credentials(page)}: not a package index page (PEP 691 JSON)") from None
    artifacts = []
    for href, yanked in _links(body.decode("utf-8", "replace")):
        url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
        digest = fragment[len("sha256=") :] if fragment.startswith("sha256=") else None
        name = urllib.parse.unquote(PurePosixPath(urllib.parse.urlsplit(url).path).name)
        if not yanked:
            artifacts.append(_Artifact(name, url, digest))
    return artifacts


def _hash_of(hashes: Any) -> str | None:
    value = hashes.get("sha256") if isinstance(hashes, dict) else None
    return value.lower() if isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{64}", value) else None


def _links(page: str) -> list[tuple[str, bool]]:
    """Each ``<a href>`` of a PEP 503 page, and whether it is marked yanked."""
    import html.parser

    found: list[tuple[str, bool]] = []

    class Links(html.parser.HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            href = values.get("href")
            if tag == "a" and href:
                found.append((href, "data-yanked" in values))

    Links().feed(page)
    return found


# -- reading an artifact --------------------------------------------------------------------------


def _check_inner_path(inner: str) -> None:
    parts = PurePosixPath(inner).parts
    if not parts or inner.startswith("/") or ".." in parts or "\\" in inner:
        raise SpecError(f"--path {inner!r} must be a relative path inside the package, like pkg/openapi.yaml")


def _member(filename: str, data: bytes, inner: str) -> bytes:
    """The file ``inner`` of a wheel (at its root) or an sdist (under its one top folder), bounded."""
    import io
    import tarfile
    import zipfile

    try:
        if filename.endswith((".whl", ".zip")):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                found = inner if inner in names else _under_top(names, inner)
                if found is None:
                    raise _missing(filename, inner, names)
                info = archive.getinfo(found)
                if info.file_size > MAX_SPEC_BYTES:
                    raise SpecError(f"{filename}: {inner} is larger than {_amount(MAX_SPEC_BYTES)}: not read")
                with archive.open(info) as member:
                    return member.read(MAX_SPEC_BYTES + 1)[:MAX_SPEC_BYTES]
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            found = _under_top(list(members), inner)
            if found is None:
                raise _missing(filename, inner, list(members))
            if members[found].size > MAX_SPEC_BYTES:
                raise SpecError(f"{filename}: {inner} is larger than {_amount(MAX_SPEC_BYTES)}: not read")
            extracted = archive.extractfile(members[found])
            return extracted.read() if extracted is not None else b""
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise SpecError(f"{filename}: not a readable archive ({exc})") from None


def _under_top(names: list[str], inner: str) -> str | None:
    return next((n for n in names if n.count("/") == inner.count("/") + 1 and n.split("/", 1)[1] == inner), None)


def _missing(filename: str, inner: str, names: list[str]) -> SpecError:
    near = sorted(n for n in names if n.endswith((".yaml", ".yml", ".json")) and "openapi" in n.lower())[:3]
    hint = f"; OpenAPI-looking files in it: {', '.join(near)}" if near else ""
    return SpecError(f"{filename} holds no {inner}{hint}")


# -- HTTP: bounded, verified, no redirects ---------------------------------------------------------


def _get(url: str, limit: int, accept: str = "*/*") -> tuple[bytes, str]:
    shown = _without_credentials(url)
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("https", "http", "file"):
        raise SpecError(f"{shown}: only https, http and file URLs are fetched")
    from urllib import error as url_error
    from urllib import request as url_request

    class NoRedirect(url_request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # the 3xx surfaces as an HTTPError, reported below

    # the scheme is one of the three checked above
    headers = {"Accept": accept, "User-Agent": f"clientgen/{__version__}"}
    request = url_request.Request(url, headers=headers)  # noqa: S310
    opener = url_request.build_opener(NoRedirect())
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise SpecError(f"{shown}: {int(declared)} bytes is more than the {_amount(limit)} allowed")
            chunks = _bounded(response, limit, shown)
            body = b"".join(chunks)
            return body, str(response.headers.get("Content-Type") or "")
    except url_error.HTTPError as exc:
        if 300 <= exc.code < 400:
            target = _without_credentials(exc.headers.get("Location") or "?")
            raise SpecError(
                f"{shown}: redirected ({exc.code}) to {target}: clientgen follows no redirect; fetch that URL"
            ) from None
        raise SpecError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
    except url_error.URLError as exc:
        raise SpecError(f"{shown}: cannot fetch ({exc.reason})") from None
    except (OSError, ValueError) as exc:
        raise SpecError(f"{shown}: cannot fetch ({exc})") from None


def _bounded(response: Any, limit: int, shown: str) -> Iterator[bytes]:
    read = 0
    while chunk := response.read(1 << 20):
        read += len(chunk)
        if read > limit:
            raise SpecError(f"{shown}: more than the {_amount(limit)} allowed: not read")
        yield chunk


def _download(url: str, limit: int) -> bytes:
    return _get(url, limit)[0]


def _without_credentials(url: str) -> str:
    """A URL as shown and recorded: user:password@, the query and the fragment dropped (tokens live
    there)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _safe_file_name(name: str, url: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}", name) or name in (".", ".."):
        raise SpecError(f"{_without_credentials(url)}: cannot store a file named {name!r}; give -o FILE")
    return name


def _amount(size: int) -> str:
    return f"{size // 2**20} MiB" if size >= 2**20 else f"{size} bytes"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- writing --------------------------------------------------------------------------------------


def default_destination(fetched: Fetched, output: str | None) -> Path:
    """Where a fetched spec goes: ``output`` (a directory when it ends in a separator or is one),
    else ``specs/airflow-VERSION/`` for Airflow, ``specs/NAME-VERSION/`` for another package,
    ``specs/`` for a URL or file."""
    if output is not None:
        if Path(output).is_dir() or output.endswith(("/", os.sep)):
            return Path(output) / fetched.name
        return Path(output)
    provenance = fetched.provenance
    if provenance["kind"] != "package":
        return Path("specs") / fetched.name
    holder = normalise_name(provenance["distribution"])
    short = "airflow" if holder in ("apache-airflow", "apache-airflow-core") else holder
    return Path("specs") / f"{short}-{provenance['version']}" / fetched.name


def ensure_spec(spec: Path, source: str | None, inner: str | None, pinned: str | None) -> None:
    """A configured spec made present and checked: fetched from ``source`` when the file is missing,
    and refused when its sha256 is not the ``pinned`` one (nothing is generated from a changed spec)."""
    if spec.is_file() or source is None:
        if pinned is not None and spec.is_file():
            try:
                digest = _sha256(spec.read_bytes())
            except OSError as exc:
                raise SpecError(f"cannot read: {exc.strerror or exc}", file=spec) from None
            if digest != pinned:
                raise SpecError(
                    f"sha256 {digest}, but spec-sha256 pins {pinned}: the spec changed; fetch the pinned one "
                    "(delete the file) or pin the new sha256",
                    file=spec,
                )
        return  # a missing spec without a source is reported by the loader
    fetched = fetch_source(source, inner)
    digest = fetched.provenance["sha256"]
    if pinned is not None and digest != pinned:
        raise SpecError(f"{source} gives sha256 {digest}, but spec-sha256 pins {pinned}: nothing written", file=spec)
    store(fetched, spec)


def shipped_overlays(fetched: Fetched, folder: Path, force: bool = False) -> list[Path]:
    """For an Airflow release, the overlays clientgen ships that concern it, copied into ``folder``
    (beside the spec): the paths to pass to ``generate --overlay``, in order."""
    provenance = fetched.provenance
    if provenance["kind"] != "package" or normalise_name(provenance["distribution"]) not in _AIRFLOW:
        return []
    names = airflow_overlays(provenance["version"])
    source = overlays_dir()
    store_files({folder / name: (source / name).read_bytes() for name in names}, force)
    return [folder / name for name in names]


_AIRFLOW = ("apache-airflow", "apache-airflow-core")


def provenance_path(spec: Path) -> Path:
    return spec.with_name(spec.name + PROVENANCE_SUFFIX)


def store(fetched: Fetched, destination: Path, force: bool = False) -> str:
    """Write the spec to ``destination`` (a file) and its provenance beside it; "written" or
    "unchanged". An existing different file is refused unless ``force``: no user file is lost."""
    record = (json.dumps(fetched.provenance, indent=2, sort_keys=True) + "\n").encode()
    files = {destination: fetched.content, provenance_path(destination): record}
    return "written" if store_files(files, force) else "unchanged"


def store_files(files: dict[Path, bytes], force: bool = False) -> list[Path]:
    """Write each file (each atomically); the ones written. Any existing file of other content is
    refused, before anything is written, unless ``force``. The provenance record is not checked: it
    is ours to rewrite."""
    try:
        for path, data in files.items():
            if path.name.endswith(PROVENANCE_SUFFIX) or not path.exists() or force:
                continue
            if not path.is_file() or path.read_bytes() != data:
                raise SpecError("exists with other content: not replaced (--force replaces it)", file=path)
        written = []
        for path, data in files.items():
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.clientgen-tmp")
            temporary.write_bytes(data)
            os.replace(temporary, path)
            written.append(path)
    except OSError as exc:
        raise SpecError(f"cannot write: {exc.strerror or exc}", file=next(iter(files))) from None
    return written
