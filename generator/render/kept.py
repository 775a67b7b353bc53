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

from collections.abc import Callable, Mapping

from .. import cache
from . import KeptText, Rendered

KIND = "formatted-files"
# GitHub's client is ~230 such files (18 MB): room for the few specs being worked on, each at its last changes.
KEPT_ENTRIES = 1024
_SHA256_HEX = 64


class KeptTexts:
    """``render.Reuse`` over the cache, and the writer of what a run formatted anew."""

    def __init__(self) -> None:
        from ..writer import fingerprint

        self._salt = fingerprint()  # taken here, before the renderer forks: each side looks up its own files

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
        made = [name for name in [*rendered.inputs, *rendered.pending] if name not in rendered.reused]
        used = [f"{self._salt}-{rendered.inputs[name]}" for name in rendered.reused]
        if not made and not used and also is None:
            return lambda: None

        def store() -> bool:
            from ..writer import escapes_controls, sha256_bytes

            if also is not None:
                also()
            for name in made:  # the digests not taken yet are taken here (a first run's: all of them)
                digest = rendered.inputs[name] if name in rendered.inputs else rendered.pending[name]()
                data = texts[name].encode("utf-8", "surrogatepass")
                facts = f"{sha256_bytes(data)} {int(escapes_controls(data))}\n".encode("ascii")
                cache.write_entry(KIND, f"{self._salt}-{digest}", facts + data)
            cache.touch_entries(KIND, used)
            if made:
                cache.keep_newest(KIND, KEPT_ENTRIES)
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
