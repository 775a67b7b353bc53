"""Check ``layout_proof`` against black on generated packages, and measure what it saves.

    python scripts/check_layout_proof.py GENERATED_PACKAGE_DIR... [--lines-per-piece N]
    python scripts/check_layout_proof.py --unproven SPEC [--show N]

Cuts every module (the verbatim runtime aside) into pieces as ``writer.format_sources`` does, proves what it
can (black on the proving modules and skeletons only, in this process), then runs black on every piece:
prints the pieces and lines proven, the CPU of both ways, and each proven piece black would change (exit 1
when there is one: the proof is wrong there). The corpus CI stage checks the same on every spec it generates
(``CLIENTGEN_CHECK_PROOFS=1``).

With ``--unproven SPEC``: renders SPEC as ``generate`` does (before black) and prints how many pieces the proof
leaves to black, then black's changes to the first N of them, by kind: the shapes the templates do not yet
emit in black's layout (each costs black two passes over its piece).
"""

from __future__ import annotations

import argparse
import difflib
import time
from pathlib import Path

from clientgen import writer
from clientgen.layout_proof import proven_pieces


def lines(texts: list[str] | set[str]) -> int:
    return sum(text.count("\n") for text in texts)


def unproven(spec: Path, show: int) -> int:
    from clientgen.loader import load_spec
    from clientgen.normalise import normalise
    from clientgen.render import RUNTIME_FILE, render_package

    files = render_package(normalise(load_spec(spec, (), validate=False)), "probe", "0")
    pieces = list(
        dict.fromkeys(
            piece
            for name, text in files.items()
            if name.endswith(".py") and not name.endswith(RUNTIME_FILE)
            for _, piece in writer.split_for_black(writer._masked_header(text)[0])
        )
    )
    proven = proven_pieces(pieces, lambda texts: {text: writer._format_piece(text) for text in texts})
    rest = [piece for piece in pieces if piece not in proven]
    changed = [(piece, writer._format_piece(piece) or "") for piece in rest]
    changed = [(piece, text) for piece, text in changed if text != piece]
    print(f"{len(pieces)} pieces: {len(rest)} left to black, of which black changes {len(changed)}")
    kinds: dict[str, int] = {}
    for piece, text in changed:
        diff = [line for line in difflib.unified_diff(piece.splitlines(), text.splitlines(), n=0, lineterm="")]
        body = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        kind = body[0][:70] if body else ""
        kinds[kind] = kinds.get(kind, 0) + 1
        if kinds[kind] == 1 and len(kinds) <= show:
            print("\n".join(body[:10]), "\n....")
    for kind, count in sorted(kinds.items(), key=lambda item: -item[1]):
        print(f"{count:6}  {kind}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("packages", nargs="*", type=Path)
    parser.add_argument("--lines-per-piece", type=int, default=writer._PIECE_LINES)
    parser.add_argument("--unproven", type=Path, help="a spec: what the proof leaves to black, and why")
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args()
    if args.unproven is not None:
        return unproven(args.unproven, args.show)
    pieces = list(
        dict.fromkeys(
            piece
            for root in args.packages
            for path in sorted(root.rglob("*.py"))
            if path.name != "_runtime.py"
            for _, piece in writer.split_for_black(
                writer._masked_header(path.read_text(encoding="utf-8"))[0], args.lines_per_piece
            )
        )
    )
    given: list[str] = []

    def black(texts: list[str]) -> dict[str, str | None]:
        given.extend(texts)
        return {text: writer._format_piece(text) for text in texts}

    started = time.process_time()
    proven = proven_pieces(pieces, black)
    proving = time.process_time() - started
    rest = [piece for piece in pieces if piece not in proven]
    print(
        f"{len(pieces)} pieces ({lines(pieces)} lines): proven {len(proven)} ({lines(proven)} lines) with black on "
        f"{len(given)} texts ({lines(given)} lines), {proving:.2f} s CPU; "
        f"left to black {len(rest)} ({lines(rest)} lines)",
        flush=True,
    )
    started = time.process_time()
    wrong = [piece for piece in proven if writer._format_piece(piece) != piece]
    on_proven = time.process_time() - started
    started = time.process_time()
    for piece in rest:
        writer._format_piece(piece)
    on_rest = time.process_time() - started
    print(
        f"black on every piece {on_proven + on_rest:.2f} s CPU; with the proof {proving + on_rest:.2f} s; "
        f"proven pieces black would change: {len(wrong)}"
    )
    for piece in wrong[:3]:
        print(
            "".join(difflib.unified_diff(piece.splitlines(True), (writer._format_piece(piece) or "").splitlines(True)))
        )
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
