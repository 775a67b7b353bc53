"""Files made of a part per group of operations, each part kept between runs by its group's digest.

README's tables of operations and ``testing.py``'s mock classes are a part per group; the rest of each file (its
skeleton: the header, the imports, a line or two per group) is small. Each file's template calls a macro per group
(``{{ mock_class(group) }}``, a macro of its own template that reads its group alone). Rendered whole, the template
is given the macro. Made by parts, it is given a mark instead, and each mark is then replaced by its group's part:
taken from what the last run kept where the group's digest is the same, rendered by the macro otherwise. Jinja
only joins what each call returns, so both make the same text from the same template text.

A Python file's unused imports are pruned on the skeleton, told the names the parts use (kept with each part):
the parts are whole statements after the imports, so the names the whole text uses are those of its pieces.

Each file's parts are one cache entry (one read, and one check of its tag, however many groups), named by the
generator's fingerprint and the file (its template, package, layout, the API's title). The keeper's process
writes it once the files are made (``KeptParts.store``), with the parts of this run's groups alone.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from .. import cache, ir
from .imports import prune_imports, used_names

KIND = "group-parts"
# Two files per target: room for the targets being worked on.
KEPT_ENTRIES = 64
# What the template is given in place of each part: no text of a file holds it (the filters drop controls); if
# one ever did, its file is rendered whole.
_MARK = "\x00"

# A part: its text, and for a Python file the names its code uses, space-separated (``used_names``).
Part = tuple[str, str]
# What a part is made by: the template's macro, given the group.
Macro = Callable[[ir.Group], str]


class ByGroup:
    """The files of one package whose templates call a macro per group: each is made of its parts where ``kept``
    (a run with the cache), whole otherwise."""

    def __init__(
        self,
        env: Any,
        context: dict[str, Any],
        kept: KeptParts | None,
        digest: Callable[[ir.Group], str],
        groups: Sequence[ir.Group],
        place: str,
    ) -> None:
        """``place``: what tells this package's files from every other target's (its name, layout, API's title)."""
        self._env, self._context, self._kept = env, context, kept
        self._digest, self._groups, self._place = digest, groups, place

    def make(self, template_name: str, part: tuple[str, str], prune: bool = True, **extra: Any) -> Callable[[], str]:
        """What makes the file of ``template_name``, which calls ``part`` (a template, and its macro reading its
        group alone) per group; its imports pruned where ``prune``."""
        template = self._env.get_template(template_name)  # loaded here, before any fork
        macro = getattr(self._env.get_template(part[0]).module, part[1])
        context = {**self._context, **extra}

        def render(per_group: Macro) -> str:
            text: str = template.render(**context, **{part[1]: per_group})
            return text

        if self._kept is None:
            return lambda: made_whole(render, macro, prune)
        key = self._kept.key(f"{template_name}\0{self._place}")
        made = GroupParts(key, macro, part[1], self._digest, self._groups, prune)
        self._kept.add(made)
        return lambda: made.text(render)


def made_whole(render: Callable[[Macro], str], macro: Macro, prune: bool) -> str:
    """The file rendered whole: its template given the macro itself."""
    text = render(macro)
    return prune_imports(text) if prune else text


class KeptParts:
    """The files a run makes by parts, each reading its entry where it is made; ``store`` keeps their parts."""

    def __init__(self) -> None:
        from ..writer import fingerprint

        self._salt = fingerprint()  # taken here, before the renderer forks
        self._files: dict[str, GroupParts] = {}

    def key(self, name: str) -> str:
        """The entry of the file ``name`` (what tells it from every other file of every target)."""
        return hashlib.sha256(f"{self._salt}\0{name}".encode("utf-8", "surrogatepass")).hexdigest()

    def add(self, made: GroupParts) -> None:
        self._files[made.key] = made  # a second render of the run (a version bumped) replaces the first

    def store(self) -> None:
        """Writes each file's entry where its groups' parts are not those kept: in the keeper's process, forked once
        the files are made (it has the parts made in this process; those made in the renderer's other process are
        rendered again)."""
        for made in self._files.values():
            made.keep()
        cache.keep_newest(KIND, KEPT_ENTRIES)


class GroupParts:
    """One file's parts: made with ``macro`` per group, each kept by ``digest`` of its group; a Python file's
    imports pruned where ``prune``."""

    def __init__(
        self,
        key: str,
        macro: Macro,
        macro_name: str,
        digest: Callable[[ir.Group], str],
        groups: Sequence[ir.Group],
        prune: bool,
    ) -> None:
        self.key, self.macro_name = key, macro_name
        self._macro, self._digest, self._groups, self._prune = macro, digest, groups, prune
        self._found: dict[str, Part] | None = None  # the entry, once read in this process
        self._made: dict[int, tuple[ir.Group, Part]] = {}  # by the group's id: the parts rendered in this process

    def text(self, render: Callable[[Macro], str]) -> str:
        """The file's text: ``render`` renders its template given what to call per group."""
        called: list[ir.Group] = []

        def mark(group: ir.Group) -> str:
            called.append(group)
            return _MARK

        skeleton = render(mark)
        if skeleton.count(_MARK) != len(called):
            return made_whole(render, self._macro, self._prune)
        parts = self._parts(called)
        if self._prune:
            skeleton = prune_imports(skeleton, also_used=chain.from_iterable(names.split() for _, names in parts))
        texts = [text for text, _ in parts]
        return "".join(chain.from_iterable(zip(skeleton.split(_MARK), [*texts, ""], strict=True)))

    def render_part(self, group: ir.Group) -> Part:
        """The group's part, rendered by the macro."""
        text = str(self._macro(group))
        return text, " ".join(sorted(used_names(text))) if self._prune else ""

    def keep(self) -> None:
        """Writes the entry of this run's groups' parts, unless it holds them already."""
        found = self._found if self._found is not None else self._read()
        parts: dict[str, Part] = {}
        for group in self._groups:
            digest = self._digest(group)
            made = self._made.get(id(group))
            part = made[1] if made is not None else found.get(digest)
            parts[digest] = part if part is not None else self.render_part(group)
        if parts.keys() == found.keys():
            cache.touch_entries(KIND, [self.key])
        else:
            cache.write_entry(KIND, self.key, marshal.dumps(parts))

    def _parts(self, groups: list[ir.Group]) -> list[Part]:
        if self._found is None:
            self._found = self._read()
        found = self._found
        parts = []
        for group in groups:
            part = found.get(self._digest(group)) if found else None  # nothing kept (a first run): no digest taken
            if part is None:
                part = self.render_part(group)
                self._made[id(group)] = (group, part)
            parts.append(part)
        return parts

    def _read(self) -> dict[str, Part]:
        stored = cache.read_view(KIND, self.key)
        if stored is None:
            return {}
        try:
            loaded = marshal.loads(stored)  # noqa: S302 - an entry this user's clientgen wrote (its tag checked)
        except (EOFError, ValueError, TypeError):
            return {}
        if not isinstance(loaded, dict):
            return {}
        return {
            digest: part
            for digest, part in loaded.items()
            if isinstance(digest, str)
            and isinstance(part, tuple)
            and len(part) == 2
            and isinstance(part[0], str)
            and isinstance(part[1], str)
        }
