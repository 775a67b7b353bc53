"""Formatted files kept between runs, by the digest of what each is made from.

A group's modules are made from its operations alone, a models module from its models (and the API's title):
``render.render_files`` digests those parts, and a file whose part a run has seen before is neither rendered
nor formatted again. A regeneration after a change to one operation renders and formats that operation's
group, and the files made from the whole API (the client, the package's indexes, README, ``testing.py``).

Entries are named by the generator's fingerprint and the digest, and go through the cache's checks
(``cache.read_entry``: written by this user's clientgen, for this key, unaltered). An entry is a line of what
the writer makes of the text's bytes (``render.KeptText``: their sha256, whether their JSON string escapes a
control character), made by the process that keeps it, then the text in UTF-8.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Mapping
from pathlib import Path

from .. import cache
from . import KeptText, Rendered

KIND = "formatted-files"
# GitHub's client is ~230 such files (18 MB): room for the few specs being worked on, each at its last changes.
KEPT_ENTRIES = 1024
_SHA256_HEX = 64
# What the last run on an output made of each file made from a part (``KeptTexts.written``): one per output.
WRITTEN_KIND = "written-files"
WRITTEN_ENTRIES = 16


class KeptTexts:
    """``render.Reuse`` over the cache, and the writer of what a run formatted anew."""

    def __init__(self, output: Path | None = None) -> None:
        from ..writer import fingerprint

        self._salt = fingerprint()  # taken here, before the renderer forks: each side looks up its own files
        where = str(output.resolve()) if output is not None else ""
        self._written_key = hashlib.sha256(f"{self._salt}\0{where}".encode("utf-8", "surrogatepass")).hexdigest()

    def written(self) -> dict[str, tuple[str, str]]:
        """Each file made from a part that the last run on this output made: the digest of its inputs and the
        sha256 of its text (a fact of this generator's: the text made from those inputs has that digest). The
        output's files may have changed since: ``pipeline`` keeps those found as they were."""
        stored = cache.read_entry(WRITTEN_KIND, self._written_key)
        try:
            found = marshal.loads(stored) if stored is not None else {}  # noqa: S302 - checked (``read_entry``)
        except (ValueError, EOFError, TypeError):
            return {}
        if type(found) is not dict:
            return {}
        return {
            name: (kept[0], kept[1])
            for name, kept in found.items()
            if type(name) is str and type(kept) is tuple and len(kept) == 2 and all(type(part) is str for part in kept)
        }

    def any_kept(self) -> bool:
        return cache.has_entries(KIND, f"{self._salt}-")

    def __call__(self, digests: list[str]) -> dict[str, KeptText]:
        names = {f"{self._salt}-{digest}": digest for digest in digests}
        found = cache.read_entries(KIND, list(names))
        texts = {}
        for name, content in found.items():
            facts, _, data = content.partition(b"\n")
            sha256, _, escapes = facts.partition(b" ")
            if len(sha256) != _SHA256_HEX or escapes not in (b"0", b"1"):
                continue  # not an entry of this kind: the file is rendered
            try:
                texts[names[name]] = KeptText(data.decode("utf-8"), sha256.decode("ascii"), escapes == b"1")
            except UnicodeDecodeError:
                continue
        return texts

    def store_beside(
        self, texts: Mapping[str, str], rendered: Rendered, also: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        """Keeps the files ``rendered`` made anew (their formatted ``texts``) in a process forked for it, and
        marks those it reused as used; the call returned waits for it. Done here where no process can be had,
        or it failed. ``also``: more to keep, in that process too."""
        unchanged = rendered.unchanged
        made = [
            name
            for name in [*rendered.inputs, *rendered.pending]
            if name not in rendered.reused and name not in unchanged
        ]
        used = [f"{self._salt}-{rendered.inputs[name]}" for name in [*rendered.reused, *unchanged]]
        if not made and not used and also is None:
            return lambda: None

        def store() -> bool:
            from ..writer import escapes_controls, sha256_bytes

            if also is not None:
                also()
            written = {name: (rendered.inputs[name], sha256) for name, sha256 in unchanged.items()}
            written |= {name: (rendered.inputs[name], kept.sha256) for name, kept in rendered.reused.items()}
            for name in made:  # the digests not taken yet are taken here (a first run's: all of them)
                digest = rendered.inputs[name] if name in rendered.inputs else rendered.pending[name]()
                data = texts[name].encode("utf-8", "surrogatepass")
                sha256 = sha256_bytes(data)
                facts = f"{sha256} {int(escapes_controls(data))}\n".encode("ascii")
                cache.write_entry(KIND, f"{self._salt}-{digest}", facts + data)
                written[name] = (digest, sha256)
            cache.touch_entries(KIND, used)
            if made:
                cache.keep_newest(KIND, KEPT_ENTRIES)
            cache.write_entry(WRITTEN_KIND, self._written_key, marshal.dumps(dict(sorted(written.items()))))
            cache.keep_newest(WRITTEN_KIND, WRITTEN_ENTRIES)
            return True

        from ..processes import Forked, can_fork

        if not can_fork():
            store()
            return lambda: None
        writer = Forked(store)

        def finish() -> None:
            if writer.result() is None:
                store()

        return finish
