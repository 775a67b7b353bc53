"""The merge base (``.clientgen-base.json``) is joined from each file's text as a JSON string, made once per file
(``writer.file_bytes``): its bytes are ``json.dumps`` of the texts as the writer always wrote it, for any text."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping
from pathlib import Path

import pytest

from clientgen import writer
from clientgen.render import KeptText


def dumped(texts: Mapping[str, str]) -> bytes:
    """The merge base as ``json.dumps`` writes it: the reference the joined bytes must equal."""
    kept = {name: text for name, text in texts.items() if name not in (writer.MANIFEST, writer.BASE)}
    return (json.dumps(kept, indent=0, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def joined(texts: Mapping[str, str]) -> bytes:
    return writer.base_bytes({name: writer.file_bytes(text) for name, text in texts.items()})


CONTROLS = "".join(chr(c) for c in range(32)) + "\x7f"


@pytest.mark.parametrize(
    "texts",
    [
        {},
        {"a.py": ""},
        {"a.py": "x = 1\n"},
        {"a.py": 'say("hi")\n', "b/c.py": "path = 'C:\\\\temp\\\\new'\n"},
        {"q.py": '"\\"\\\\n\\n\\\\\\"'},  # quotes and backslashes next to escapes
        {"t.py": "\tindented\r\nwindows line\x0bvertical\x0cfeed\x08back\x00nul\x1f\x7f"},
        {f"c{ord(c):02x}.txt": f"before {c} after" for c in CONTROLS},
        {"README.md": "Café — naïve “quotes” 中文 😀\n", "ascii.py": "pass\n"},
        {"sep.txt": "line\u2028separator\u2029paragraph\u0085next\ufeffbom\ufffd"},
        {"é.py": "accented name\n", "z.py": "z\n", "Z.py": "Z\n", "a/b.py": "", "a.b": "", "a-b": "", "a_b": ""},
        {"\U0001f600.py": "astral name", "\uffff.py": "last of the plane", "\x7f.py": "del"},
        {'qu"ote\\d\n.py': "a key JSON escapes"},
        {writer.MANIFEST: "never in the base", writer.BASE: "nor this", "kept.py": "kept\n"},
    ],
)
def test_the_joined_merge_base_is_json_dumps_of_the_texts(texts: dict[str, str]) -> None:
    assert joined(texts) == dumped(texts)


def test_random_texts_join_as_json_dumps_writes_them() -> None:
    plain = "\"\\/ aZ09\n\n\n'{}[]:," + "éß中😀\u2028\ufeff\U0010ffff"
    chance = random.Random(13)
    for turn in range(600):
        alphabet = plain if turn % 2 else plain + CONTROLS  # the quick path's texts, and the others
        texts = {
            "".join(chance.choices(alphabet, k=chance.randrange(1, 8))): "".join(
                chance.choices(alphabet, k=chance.randrange(0, 60))
            )
            for _ in range(chance.randrange(0, 6))
        }
        assert joined(texts) == dumped(texts), texts


def test_a_file_keeps_its_bytes_and_their_sha256() -> None:
    made = writer.file_bytes("Café\n")
    assert made.data == "Café\n".encode()
    assert made.sha256 == writer.sha256_bytes("Café\n".encode())
    assert b'"' + made.escaped + b'"' == json.dumps("Café\n", ensure_ascii=False).encode()


def test_a_lone_surrogate_is_refused_as_the_utf_8_files_refuse_it() -> None:
    with pytest.raises(UnicodeEncodeError):
        dumped({"a.py": "half \ud800 of a pair"})
    with pytest.raises(UnicodeEncodeError):
        writer.file_bytes("half \ud800 of a pair")
    with pytest.raises(UnicodeEncodeError):
        joined({"\udfff.py": "a name half a pair"})


def test_what_the_cache_kept_of_a_text_is_taken_only_with_that_very_text() -> None:
    text = "x = '\\t'\n" * 3
    kept = KeptText(text, "f" * 64, escapes_controls=False)
    assert writer.file_bytes(text, kept).sha256 == "f" * 64  # taken, not made again
    equal = "".join(list(text))  # the same characters, another object: what was kept may not be its
    assert equal == text and equal is not text
    assert writer.file_bytes(equal, kept) == writer.file_bytes(text)
    assert writer.file_bytes("\t", KeptText("\t", "0" * 64, escapes_controls=True)).escaped == b"\\t"


@pytest.mark.parametrize("most_at_once", [None, 1, 7, 4096])
def test_the_merge_base_is_written_and_hashed_from_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most_at_once: int | None
) -> None:
    """``OutputFiles`` writes a file given in parts part by part (``os.writev``, at most ``SC_IOV_MAX`` parts at a
    time, each call writing what it may: here as little as a byte at a time), never joined; its digest is taken
    over the parts. The file's bytes and digest are the joined bytes'."""
    texts = {f"m/{i:04d}.py": f"value_{i} = {'x' * (i % 97)!r}\n" * (i % 5 + 1) for i in range(3000)}
    texts["README.md"] = "Café 😀\n"
    files = {name: writer.file_bytes(text) for name, text in texts.items()}
    parts = writer.base_parts(files)
    assert len(parts) > 3 * 1024
    whole = b"".join(parts)
    assert whole == dumped(texts) and writer.sha256_parts(parts) == writer.sha256_bytes(whole)
    if most_at_once is not None:
        writev = os.writev

        def short(descriptor: int, buffers: list[memoryview]) -> int:  # a short write: a few bytes of the first
            return writev(descriptor, [buffers[0][: most_at_once or 1]])

        monkeypatch.setattr(os, "writev", short)
    output = writer.OutputFiles(tmp_path, {"a.py": b"a\n"}, {}, {writer.BASE: parts})
    assert set(output) == {"a.py", writer.BASE} and len(output) == 2 and output[writer.BASE] == whole
    output.write(writer.BASE, tmp_path / "base.json")
    output.write("a.py", tmp_path / "a.py")
    assert (tmp_path / "base.json").read_bytes() == whole and (tmp_path / "a.py").read_bytes() == b"a\n"
