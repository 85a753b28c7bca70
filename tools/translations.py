"""The course's translations: one text file per notebook beside the English source.

    python tools/translations.py status          # what is missing or stale, per language
    python tools/translations.py update zh 03    # add the cells that have no translation yet
    python tools/translations.py lint zh 03      # formulas, code, links a translation changed

``translations/<lang>/<notebook stem>.md`` holds, for every markdown cell of
``solutions/<notebook>.ipynb``, one block::

    <!-- cell 1a2b3c4d · en 0123456789ab -->
    the translated markdown of that cell

``cell`` is the English cell's id; ``en`` the first 12 hex digits of the
SHA-256 of the English cell's source when it was translated.  When the
English cell changes, the stored hash no longer matches and the translation
is *stale*: ``status`` and the tests name it, and the build refuses it.
``update`` appends a block for each cell that has none, holding the English
text to translate, marked ``TODO`` in its header (the build refuses those too).

Only markdown is translated.  Code cells are the English notebook's, byte for
byte, so a Chinese notebook runs the same code and checks the same answers;
the one cell the build adds (tagged ``language``) switches :mod:`bp_lib`'s
messages, widget labels and figure words to the notebook's language.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
TRANSLATIONS = ROOT / "translations"

#: The languages the course is built in besides English, and their folder names.
LANGUAGES = ("zh",)

HEADER = re.compile(r"^<!-- cell (?P<id>\S+) · en (?P<hash>[0-9a-f]{12})(?P<todo> TODO)? -->$")

#: The code cell a translated notebook starts with (tagged ``language``): everything else is
#: the English notebook's code.
LANGUAGE_CELL = "import bp_lib\nbp_lib.set_language({lang!r})   # {note}"
LANGUAGE_NOTE = {"zh": "检查结果、控件和图中的文字用中文"}


def en_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


@dataclass
class Block:
    cell_id: str
    hash: str
    text: str
    todo: bool = False


def path_for(lang: str, notebook: Path) -> Path:
    return TRANSLATIONS / lang / (notebook.stem + ".md")


def parse(path: Path) -> dict:
    """``cell id -> Block`` of a translation file; raises ValueError on a malformed file."""
    blocks: dict = {}
    current = None
    lines: list = []

    def close():
        if current is not None:
            current.text = "\n".join(lines).strip("\n")
            blocks[current.cell_id] = current

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = HEADER.match(line)
        if m:
            close()
            if m["id"] in blocks:
                raise ValueError(f"{path}: line {number}: cell {m['id']} appears twice")
            current, lines = Block(m["id"], m["hash"], "", bool(m["todo"])), []
        elif line.startswith("<!-- cell "):
            raise ValueError(f"{path}: line {number}: malformed header {line!r}; expected "
                             "'<!-- cell <id> · en <12 hex digits> -->'")
        elif current is None:
            if line.strip() and not line.startswith("<!--"):
                raise ValueError(f"{path}: line {number}: text before the first cell header")
        else:
            lines.append(line)
    close()
    return blocks


def markdown_cells(nb):
    return [c for c in nb.cells if c.cell_type == "markdown"]


def problems(lang: str, notebook: Path, nb=None) -> list:
    """Why the translation of ``notebook`` cannot be built: missing, stale, TODO, orphaned."""
    nb = nb or nbformat.read(notebook, as_version=4)
    path = path_for(lang, notebook)
    if not path.exists():
        return [f"{path.relative_to(ROOT)} is missing (python tools/translations.py update "
                f"{lang} {notebook.stem[:2]})"]
    try:
        blocks = parse(path)
    except ValueError as exc:
        return [str(exc)]
    found = []
    ids = set()
    for cell in markdown_cells(nb):
        ids.add(cell.id)
        block = blocks.get(cell.id)
        where = f"{path.relative_to(ROOT)}: cell {cell.id}"
        if block is None:
            found.append(f"{where} has no translation")
        elif block.todo:
            found.append(f"{where} is marked TODO (not translated yet)")
        elif block.hash != en_hash(cell.source):
            found.append(f"{where} is stale: its English cell changed since it was translated "
                         f"(hash {block.hash}, now {en_hash(cell.source)})")
    for extra in sorted(set(blocks) - ids):
        found.append(f"{path.relative_to(ROOT)}: cell {extra} is not a markdown cell of "
                     f"{notebook.name} any more")
    return found


def translated(nb, lang: str, notebook: Path):
    """The notebook in ``lang``: markdown replaced, code untouched, a language cell first.

    Raises ValueError naming every problem when the translation is incomplete or stale."""
    found = problems(lang, notebook, nb)
    if found:
        raise ValueError(f"the {lang} translation of {notebook.name} cannot be built:\n  "
                         + "\n  ".join(found))
    blocks = parse(path_for(lang, notebook))
    out = copy.deepcopy(nb)
    for cell in markdown_cells(out):
        cell.source = blocks[cell.id].text
    first = nbformat.v4.new_code_cell(
        LANGUAGE_CELL.format(lang=lang, note=LANGUAGE_NOTE[lang]),
        metadata={"tags": ["language"], "editable": False, "deletable": False})
    first.id = f"language-{lang}"
    out.cells.insert(0, first)
    out.metadata["language"] = lang
    return out


_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_DISPLAY = re.compile(r"\$\$.+?\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?:[^$\n]|\n(?!\s*\n))+?(?<!\\)\$")
_CODE = re.compile(r"`[^`\n]+`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
_CJK = re.compile(r"[\u4e00-\u9fff]")


_TEXT_IN_MATH = re.compile(r"\\text\{[^{}]*\}")


def _math(formula):
    """A formula as it must stay: everything but the words of its ``\\text{…}`` (which are prose
    set in a formula, and are translated)."""
    return _TEXT_IN_MATH.sub(r"\\text{…}", formula)


def untranslatable(markdown: str) -> dict:
    """What a translation keeps exactly: fenced code, display and inline math (but the words
    in their ``\\text{…}``), code spans, link targets and HTML tags (each as a set; the order
    of a sentence may change)."""
    parts = {}
    text = markdown
    parts["code block"] = set(_FENCE.findall(text))
    text = _FENCE.sub(" ", text)
    parts["display formula"] = {_math(f) for f in _DISPLAY.findall(text)}
    text = _DISPLAY.sub(" ", text)
    parts["inline formula"] = {_math(f) for f in _INLINE.findall(text)}
    text = _INLINE.sub(" ", text)
    parts["code span"] = set(_CODE.findall(text))
    parts["link target"] = set(_LINK.findall(text))
    parts["HTML tag"] = set(_TAG.findall(text))
    return parts


def lint(lang: str, notebook: Path, nb=None) -> list:
    """Differences a translation must not have: a formula, code, link or tag of the English
    cell that the translation lacks or changed, and a block with no Chinese in it."""
    nb = nb or nbformat.read(notebook, as_version=4)
    path = path_for(lang, notebook)
    blocks = parse(path) if path.exists() else {}
    found = []
    for cell in markdown_cells(nb):
        block = blocks.get(cell.id)
        if block is None or block.todo:
            continue
        where = f"{path.relative_to(ROOT)}: cell {cell.id}"
        en, tr = untranslatable(cell.source), untranslatable(block.text)
        for kind in en:
            for item in sorted(en[kind] - tr[kind]):
                found.append(f"{where}: {kind} {item[:80]!r} of the English is missing or changed")
            for item in sorted(tr[kind] - en[kind]):
                found.append(f"{where}: {kind} {item[:80]!r} is not in the English cell")
        if lang == "zh" and not _CJK.search(block.text) and re.search(r"[A-Za-z]{4}", _prose(cell.source)):
            found.append(f"{where}: no Chinese in the translation")
    return found


def _prose(markdown):
    for pattern in (_FENCE, _DISPLAY, _INLINE, _CODE, _TAG):
        markdown = pattern.sub(" ", markdown)
    return markdown


def update(lang: str, notebook: Path) -> int:
    """Append a TODO block (the English text) for every markdown cell without a translation."""
    nb = nbformat.read(notebook, as_version=4)
    path = path_for(lang, notebook)
    blocks = parse(path) if path.exists() else {}
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" if path.exists() else ""
    added = 0
    for cell in markdown_cells(nb):
        if cell.id not in blocks:
            text += f"<!-- cell {cell.id} · en {en_hash(cell.source)} TODO -->\n{cell.source}\n\n"
            added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    return added


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="list missing, stale and TODO translations")
    li = sub.add_parser("lint", help="formulas, code, links and tags a translation changed")
    li.add_argument("lang", choices=LANGUAGES)
    li.add_argument("prefixes", nargs="*")
    up = sub.add_parser("update", help="append the untranslated cells of notebooks")
    up.add_argument("lang", choices=LANGUAGES)
    up.add_argument("prefixes", nargs="*")
    args = parser.parse_args(argv)
    notebooks = sorted(SOLUTIONS.glob("*.ipynb"))
    if args.command == "update":
        for nb in notebooks:
            if not args.prefixes or any(nb.name.startswith(p) for p in args.prefixes):
                print(f"{path_for(args.lang, nb).relative_to(ROOT)}: {update(args.lang, nb)} "
                      "cell(s) added")
        return 0
    if args.command == "lint":
        bad = 0
        for nb in notebooks:
            if not args.prefixes or any(nb.name.startswith(p) for p in args.prefixes):
                for p in lint(args.lang, nb):
                    print(p)
                    bad += 1
        print(f"{bad} difference(s)")
        return 1 if bad else 0
    bad = 0
    for lang in LANGUAGES:
        for nb in notebooks:
            for p in problems(lang, nb):
                print(p)
                bad += 1
    print(f"{bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
