"""What every stored notebook must be, and what nbval's sanitizer may (and may not) hide."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Both editions: the English notebooks and the Chinese ones (solutions/zh, chapters/zh).
NOTEBOOKS = [p for d in ("solutions", "chapters", "solutions/zh", "chapters/zh")
             for p in sorted((ROOT / d).glob("*.ipynb"))]


def test_the_course_has_its_chapters():
    names = {p.name for p in NOTEBOOKS if p.parent.name != "zh"}
    for prefix in ("01_", "02_", "03_", "04_", "05_", "06_", "A_"):
        assert any(n.startswith(prefix) for n in names), f"no notebook {prefix}*"
    assert {p.name for p in (ROOT / "solutions").glob("*.ipynb")} == \
        {p.name for p in (ROOT / "chapters").glob("*.ipynb")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "not executed top to bottom"
    counts = [c.execution_count for c in code]
    assert counts == sorted(counts), "cells were run out of order"
    for i, cell in enumerate(nb.cells):
        source = cell.source
        assert not re.search(r"sys\.path\.(insert|append)", source), f"cell {i} edits sys.path"
        assert not re.search(r"(/work/|/tmp/|/root/|/home/)", source), f"cell {i}: absolute path"
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", f"cell {i} wrote to stderr: {out.get('text')!r}"
            if out.get("output_type") == "error":
                assert "raises-exception" in cell.metadata.get("tags", []), \
                    f"cell {i} raised {out.get('ename')}"


def _sanitizers():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tests" / "nbval_sanitize.cfg", encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def _sanitize(text):
    for regex, replacement in _sanitizers():
        text = regex.sub(replacement, text)
    return text


@pytest.mark.parametrize("text,expected", [
    ("relative error 3.0e-11 (agrees)", "relative error TINY (agrees)"),
    ("relative error 0.0e+00 (agrees)", "relative error TINY (agrees)"),
    ("W1  (5, 4)  7.29e-11  ok", "W1  (5, 4)  TINY  ok"),
    ("trained in 0.42 s", "trained in TIME"),
    ("<Figure at 0x7f3a2b>", "<Figure at 0xADDRESS>"),
])
def test_sanitizer_hides_machine_dependent_digits(text, expected):
    assert _sanitize(text) == expected


@pytest.mark.parametrize("text", [
    "relative error 1.7e-02 (DISAGREES)",      # a wrong formula stays compared
    "relative error 3.7e-01",
    "test accuracy 0.9756",
    "J = 0.125000",
    "(3, 5) shapes",
    "epoch 162",
])
def test_sanitizer_keeps_what_a_change_in_the_library_would_change(text):
    assert _sanitize(text) == text


_HAN = re.compile(r"[\u4e00-\u9fff]")


def _glossary_rows(nb):
    """The header and rows of the first table after a notebook's "Glossary" heading."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        heads = [i for i, line in enumerate(lines) if re.match(r"##+ .*(Glossary|术语表)", line)]
        if not heads:
            continue
        table = []
        for line in lines[heads[0]:]:
            if line.startswith("|"):
                table.append([c.strip() for c in line.strip().strip("|").split("|")])
            elif table:
                break
        return table[0], [row for row in table[2:]]
    return None, []


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb"))
                         + sorted((ROOT / "solutions" / "zh").glob("*.ipynb")),
                         ids=lambda p: str(p.relative_to(ROOT / "solutions")))
def test_every_glossary_gives_the_chinese_with_its_pinyin(path):
    """Both editions: the Chinese one keeps the English column and the pinyin (拼音)."""
    header, rows = _glossary_rows(nbformat.read(path, as_version=4))
    assert header, "no table under a 'Glossary' (术语表) heading"
    zh = next(i for i, h in enumerate(header) if "中文" in h)
    names = [h for h in header if h in ("pinyin", "拼音")]
    assert names, f"glossary columns {header}: no pinyin"
    py = header.index(names[0])
    assert len(rows) >= 5
    for row in rows:
        assert len(row) == len(header), f"row {row} has {len(row)} cells, header {len(header)}"
        assert _HAN.search(row[zh]), f"row {row}: no Chinese term"
        assert row[py] and not _HAN.search(row[py]), f"row {row}: pinyin {row[py]!r}"
        assert re.search(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", row[py]), f"row {row}: pinyin without tones"
