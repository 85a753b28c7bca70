"""Slide decks of the course: slide metadata from a notebook's structure, and offline HTML decks.

    python tools/slides.py                      # every deck, from solutions/, into build/slides/
    python tools/slides.py --from chapters      # the learners' copies instead
    python tools/slides.py A 03 --out /tmp/d    # only notebooks whose name starts so
    python tools/slides.py --lang zh            # only the Chinese edition (default: both)

Every chapter presents as a slide deck, in JupyterLab (RISE: ``jupyterlab_rise``) and as
HTML.  The slide type of each cell (``cell.metadata.slideshow.slide_type``) is not written
by hand; :func:`apply_slide_metadata` derives it from the notebook's structure, and
``tools/build_notebooks.py`` applies it to every solution it builds:

* a markdown cell that starts with a ``#`` or ``##`` heading starts a **slide**;
* one that starts with a ``###`` heading starts a **sub-slide** (reveal.js: "down");
* a code cell stays on the slide of the explanation it follows (``"-"``), unless that
  explanation already fills half the slide and the cell would overflow it: then the code
  and its output continue on a sub-slide;
* a markdown cell without a heading stays too — unless it and the code cells after it would
  overflow the current slide (an estimate in pixels, :data:`SLIDE_HEIGHT`), then it starts a
  sub-slide, so a long section becomes several readable screens; a slide that still
  overflows scrolls;
* cells the author marked ``"skip"`` or ``"notes"`` (speaker notes) keep that type.

The HTML decks go further (:func:`deck_notebook`), on a copy of the notebook: hidden tests
(``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS``) are removed, a markdown cell is split at
every heading inside it (so every ``##`` starts its own slide), and a table longer than
:data:`TABLE_ROWS` rows continues on the next sub-slide with its header repeated.  Tables are
set at the size of the body text, code wraps at the slide's edge, and when Chromium is
available the built decks are measured in it (:func:`fit_decks`): a slide taller than the
deck is split between cells, a table split into fewer rows, and a single figure or code cell
still too tall is scaled to fit — ``tests/test_slides.py`` fails the build if any slide
still overflows.

The HTML decks open with no network: nbconvert's reveal template loads reveal.js, MathJax,
require.js and jQuery from CDNs, so :func:`offline_exporter` swaps those for local copies
(reveal.js from ``tools/vendor/reveal.js``, MathJax 2.7.9 from the ``jupyter-server-mathjax``
package) copied next to the decks under ``_static/``; images are embedded in the HTML.
Widgets cannot run in a static page: a widget's output is replaced by the last picture it
drew (kept in the notebook's widget state) and a line saying where to use it live.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import re
import shutil
import struct
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
VENDOR = Path(__file__).resolve().parent / "vendor"
STATIC = "_static"

#: Pixels of a 960×700 reveal.js slide that content may fill before a new sub-slide starts.
SLIDE_HEIGHT = 560
#: Figures are shown at most this tall on a slide (CSS in the deck template).
MAX_FIGURE_HEIGHT = 430
#: The deck's size in CSS pixels (reveal.js scales it to the screen).
DECK_WIDTH, DECK_HEIGHT = 960, 700
#: Body rows of a table on one slide; longer tables continue on the next sub-slide.
TABLE_ROWS = 8
#: Smallest scale :func:`fit_decks` gives a single figure or code cell taller than the deck.
MIN_ZOOM = 0.6
#: Slide types an author sets by hand and :func:`apply_slide_metadata` keeps.
KEPT_TYPES = ("skip", "notes")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# ---------------------------------------------------------------- slide metadata
def _heading_level(source):
    first = source.lstrip("\n").split("\n", 1)[0]
    hashes = len(first) - len(first.lstrip("#"))
    return hashes if 0 < hashes <= 6 and first[hashes:hashes + 1] == " " else 0


def _wrapped_lines(text, per_line):
    return sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))


def _markdown_height(source):
    """Estimated pixels of a rendered markdown cell on a deck (see the deck's CSS)."""
    height = 0
    for block in re.split(r"\n\s*\n", source.strip()):
        level = _heading_level(block)
        stripped = block.lstrip()
        if level:
            first, _, rest = block.lstrip("\n").partition("\n")
            height += {1: 90, 2: 70}.get(level, 55) * _wrapped_lines(first, 45)
            height += _wrapped_lines(rest, 95) * 27 if rest.strip() else 0
        elif stripped.startswith("|"):
            height += 38 * (stripped.count("\n") + 1)           # table rows
        elif stripped.startswith("$$"):
            height += 90 * max(1, stripped.count("\\\\") + 1)  # displayed equation(s)
        else:
            height += _wrapped_lines(block, 95) * 27 + 18     # paragraph, list
    return height


def _image_height(data):
    """Displayed height of a PNG output: its pixel size from the header, fitted to the slide."""
    try:
        head = base64.b64decode(data["image/png"][:44])
        width, height = struct.unpack(">II", head[16:24])
    except (KeyError, ValueError, struct.error, TypeError):
        return 380
    if width > 900:
        height = height * 900 / width
    return min(height, MAX_FIGURE_HEIGHT)


def _height(cell):
    """Estimated pixels a cell takes on a slide: its source plus its outputs."""
    if cell.cell_type == "markdown":
        return _markdown_height(cell.source)
    height = 30 + 20 * _wrapped_lines(cell.source, 95) if cell.source.strip() else 0
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/png" in data:
            height += _image_height(data) + 10
        elif "image/svg+xml" in data or WIDGET_VIEW in data:
            height += 380
        elif out.get("output_type") == "stream":
            height += 20 * _wrapped_lines(out.get("text", "").rstrip("\n"), 95) + 10
        elif out.get("output_type") == "error":
            height += 20 * min(len(out.get("traceback", [])), 12)
        elif "text/plain" in data:
            height += 20 * _wrapped_lines(data["text/plain"], 95) + 10
    return height


def slide_types(nb):
    """The slide type of every cell, derived from the notebook's structure (see the module doc).

    A markdown cell and the code cells that follow it form a group that stays on one slide;
    a group without a heading starts a sub-slide when it would overflow the current one.
    """
    cells = nb.cells
    types, filled = [], 0
    for i, cell in enumerate(cells):
        old = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        height = _height(cell)
        group = height
        if cell.cell_type == "markdown":
            for nxt in cells[i + 1:]:
                if nxt.cell_type != "code":
                    break
                group += _height(nxt)
        level = _heading_level(cell.source) if cell.cell_type == "markdown" else 0
        forced = cell.get("metadata", {}).get("deck", {}).get("break", False)
        if old in KEPT_TYPES:
            kind, height = old, 0
        elif i == 0 or level in (1, 2):
            kind = "slide"
        elif level >= 3 or forced:
            kind = "subslide"
        elif cell.cell_type == "markdown" and filled > 0 and filled + group > SLIDE_HEIGHT:
            kind = "subslide"
        elif cell.cell_type == "code" and filled > SLIDE_HEIGHT / 2 \
                and filled + height > SLIDE_HEIGHT:
            kind = "subslide"     # a big output after a long explanation: the next screen
        else:
            kind = "-"
        filled = height if kind in ("slide", "subslide") else filled + height
        types.append(kind)
    return types


def apply_slide_metadata(nb):
    """Set ``metadata.slideshow.slide_type`` on every cell of ``nb`` (in place); returns ``nb``.

    Idempotent: applying it twice gives the same notebook.
    """
    if not hasattr(nb, "cells"):
        raise TypeError(f"nb must be a notebook (nbformat.NotebookNode); got {type(nb).__name__}")
    for cell, kind in zip(nb.cells, slide_types(nb)):
        cell.setdefault("metadata", nbformat.NotebookNode())
        cell.metadata["slideshow"] = nbformat.NotebookNode({"slide_type": kind})
    return nb


# ------------------------------------------------------------ deck contents
_HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS\b.*?(?:^[ \t]*### END HIDDEN TESTS[^\n]*\n?|\Z)",
                           re.S | re.M)


def strip_hidden_tests(nb):
    """Remove nbgrader's hidden tests from every code cell (in place); a cell left empty is
    dropped.  Returns ``nb``.  A deck or a page is for an audience, never for the grader."""
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            cell.source = _HIDDEN_TESTS.sub("", cell.source).rstrip()
            if not cell.source.strip():
                continue
        kept.append(cell)
    nb.cells = kept
    return nb


def _split_markdown(source):
    """Split markdown before every heading line that is not its first line (outside code
    fences); returns the pieces."""
    pieces, current, fenced = [], [], False
    for line in source.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and _heading_level(line) and any(x.strip() for x in current):
            pieces.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    pieces.append("\n".join(current).strip("\n"))
    return [p for p in pieces if p.strip()]


def _table_columns(lines, groups):
    """Cut a markdown table (its lines) into ``groups`` tables that each keep the first
    column and take a share of the others; returns a list of line lists."""
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
             for line in lines]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    rest = list(range(1, width))
    size = -(-len(rest) // groups) if rest else 1
    out = []
    for g in range(0, len(rest), size):
        keep = [0] + rest[g:g + size]
        out.append(["| " + " | ".join(r[k] for k in keep) + " |" for r in cells])
    return out or [lines]


def _split_tables(source, rows, groups=1):
    """``[(markdown, starts_a_new_screen)]``: ``source`` with every table longer than
    ``rows`` body rows cut into chunks that repeat the header (and, with ``groups`` > 1,
    every table cut into column groups that repeat the first column); text after a table
    is its own piece."""
    lines = source.split("\n")
    pieces, current, i = [], [], 0
    while i < len(lines):
        is_table = (lines[i].lstrip().startswith("|") and i + 1 < len(lines)
                    and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]))
        if not is_table:
            current.append(lines[i])
            i += 1
            continue
        j = i + 2
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            j += 1
        tables = _table_columns(lines[i:j], groups) if groups > 1 else [lines[i:j]]
        if len(tables) == 1 and j - i - 2 <= rows:
            current += lines[i:j]
        else:
            for n, table in enumerate(tables):
                header, body = table[:2], table[2:]
                for k in range(0, len(body), rows):
                    chunk = header + body[k:k + rows]
                    if k == 0 and n == 0:
                        pieces.append(("\n".join(current + chunk), False))
                    else:
                        pieces.append(("\n".join(chunk), True))
                    current = []
        i = j
    if any(x.strip() for x in current):
        pieces.append(("\n".join(current).strip("\n"), False))
    return pieces or [(source, False)]


def _split_paragraphs(source):
    """Split markdown at its blank lines, keeping code fences and ``$$`` blocks whole."""
    pieces, current, fenced, display = [], [], False, False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
        if stripped.count("$$") % 2:
            display = not display
        if not stripped and not fenced and not display and any(x.strip() for x in current):
            pieces.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if any(x.strip() for x in current):
        pieces.append("\n".join(current))
    return pieces


def deck_notebook(nb, table_rows=None, breaks=(), zoom=None, paragraphs=(), table_groups=None):
    """A copy of ``nb`` as the HTML decks show it, with slide metadata applied.

    Hidden tests removed; markdown split at every heading and tables cut into chunks of
    ``table_rows.get(i, TABLE_ROWS)`` rows (``i``: the cell's index in ``nb``).  Each cell
    of the copy carries its key ``"i.k"`` (cell ``i`` of ``nb``, piece ``k``) as the tag
    ``deckcell-i-k``, so a measured slide can be mapped back to its cells; ``breaks`` (keys)
    start a sub-slide, ``zoom`` (key → percent) scales a cell, and the markdown cells
    ``paragraphs`` (indices, as text) are split at every paragraph.
    """
    nb = copy.deepcopy(nb)
    table_rows, zoom, breaks, paragraphs = table_rows or {}, zoom or {}, set(breaks), set(paragraphs)
    table_groups = table_groups or {}
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            one = nbformat.v4.new_notebook(cells=[cell])
            if not strip_hidden_tests(one).cells:
                continue
        pieces = [(cell.source, False)]
        if cell.cell_type == "markdown":
            pieces = [piece for part in _split_markdown(cell.source)
                      for piece in _split_tables(part, table_rows.get(str(i), TABLE_ROWS),
                                                 table_groups.get(str(i), 1))]
            if str(i) in paragraphs:
                pieces = [(para, new_screen and n == 0) for text, new_screen in pieces
                          for n, para in enumerate(_split_paragraphs(text))]
        for k, (source, new_screen) in enumerate(pieces):
            part = copy.deepcopy(cell) if len(pieces) > 1 else cell
            if k:
                part.id = f"{cell.get('id', 'cell')}-{k}"
                part.metadata.pop("slideshow", None)
            part.source = source
            key = f"{i}.{k}"
            meta = part.setdefault("metadata", nbformat.NotebookNode())
            meta["tags"] = [t for t in meta.get("tags", []) if not t.startswith("deck")] + \
                [f"deckcell-{i}-{k}"] + ([f"deckzoom-{zoom[key]}"] if key in zoom else [])
            if new_screen or key in breaks:
                meta["deck"] = {"break": True}
            if part.cell_type == "markdown":     # nbconvert puts no tag classes on these
                zoomed = f" deckzoom-{zoom[key]}" if key in zoom else ""
                part.source = (part.source.rstrip() +
                               f'\n\n<div class="deckcell{zoomed}" data-key="{key}"></div>')
            cells.append(part)
    nb.cells = cells
    return apply_slide_metadata(nb)


# ------------------------------------------------------------- offline assets
def mathjax_dir():
    """MathJax 2.7.9's files, as shipped by the ``jupyter-server-mathjax`` package."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise SystemExit("the offline decks and site need MathJax from the package "
                         "`jupyter-server-mathjax`: run `make setup-dev` (or pip install -r "
                         "requirements-dev.txt)") from None
    path = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (path / "MathJax.js").is_file():
        raise SystemExit(f"jupyter-server-mathjax is installed but {path}/MathJax.js is missing")
    return path


def copy_static(out, reveal=True):
    """Copy MathJax (and reveal.js) into ``out/_static``; returns that folder."""
    static = Path(out) / STATIC
    static.mkdir(parents=True, exist_ok=True)
    # localization/ (2 MB) is only for non-English menus; the SVG output is not used.
    ignore = shutil.ignore_patterns("localization", "SVG")
    shutil.copytree(mathjax_dir(), static / "mathjax", ignore=ignore, dirs_exist_ok=True)
    if reveal:
        shutil.copytree(VENDOR / "reveal.js", static / "reveal.js", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("README.md"))
    return static


def index_math_head(prefix):
    """``<script>`` tags that typeset ``$…$`` in an index page (chapter titles hold math)."""
    return ('<script type="text/x-mathjax-config">MathJax.Hub.Config({tex2jax: {inlineMath: '
            '[["$","$"], ["\\\\(","\\\\)"]], processEscapes: true}, "HTML-CSS": '
            '{availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}});'
            '</script><style>.MJX_Assistive_MathML, .MJX_Assistive_MathML * '
            '{ font-family: serif !important; }</style>'
            f'<script src="{mathjax_url(prefix)}"></script>')


def mathjax_url(prefix):
    return f"{prefix}/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"


# Blocks of nbconvert's templates that load from CDNs, replaced by local or no scripts.
_COMMON_BLOCKS = r"""
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
// jupyter-server-mathjax ships the STIX-Web fonts only (not MathJax's TeX fonts).
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web",
                                  imageFont: null}});
</script>
<style>
/* MathJax also writes hidden MathML for screen readers, which Chromium lays out: its
   double-struck and script letters would ask for MathJax's TeX fonts, not shipped (a 404). */
.MJX_Assistive_MathML, .MJX_Assistive_MathML * { font-family: serif !important; }
</style>
{{ super() }}
{%- endblock html_head_js_mathjax -%}
"""

_REVEAL_TEMPLATE = "{%- extends 'index.html.j2' -%}" + _COMMON_BLOCKS + r"""
{%- block html_head_css -%}
<style type="text/css">
/* a 960×700 slide: the course's code lines run to ~100 characters, its figures are wide */
:root { --jp-code-font-size: 15px; --jp-content-font-size1: 17px; --jp-ui-font-size1: 17px; }
.reveal pre, .reveal code { font-size: 15px; }
.reveal .slides h1, .reveal .slides h2, .reveal .slides h3, .reveal .slides h4 {
    text-transform: none; }
.reveal .slides h1 { font-size: 40px; }
.reveal .slides h2 { font-size: 32px; }
.reveal .slides h3 { font-size: 25px; }
.reveal .slides h4 { font-size: 20px; }
.reveal .jp-RenderedImage img { max-height: 430px; width: auto; }
/* tables at the size of the body text (JupyterLab's own table style is 12 px) */
.reveal .slides .jp-RenderedHTMLCommon table { font-size: var(--jp-content-font-size1); }
.reveal .slides table code { font-size: 0.9em; }
.reveal .slides .jp-RenderedHTMLCommon table { max-width: 100%; }
.reveal .slides .jp-RenderedHTMLCommon td, .reveal .slides .jp-RenderedHTMLCommon th {
    padding: 0.2em 0.4em; white-space: normal; overflow-wrap: break-word; }
/* code and text outputs wrap at the slide's edge instead of running off it */
.reveal pre { white-space: pre-wrap; overflow-wrap: anywhere; }
.reveal .jp-RenderedText pre { white-space: pre-wrap; }
/* a cell fit_decks scaled to the deck */
.reveal .celltag_deckzoom-60, .reveal .jp-Cell:has(.deckzoom-60) { zoom: 0.60; }
.reveal .celltag_deckzoom-65, .reveal .jp-Cell:has(.deckzoom-65) { zoom: 0.65; }
.reveal .celltag_deckzoom-70, .reveal .jp-Cell:has(.deckzoom-70) { zoom: 0.70; }
.reveal .celltag_deckzoom-75, .reveal .jp-Cell:has(.deckzoom-75) { zoom: 0.75; }
.reveal .celltag_deckzoom-80, .reveal .jp-Cell:has(.deckzoom-80) { zoom: 0.80; }
.reveal .celltag_deckzoom-85, .reveal .jp-Cell:has(.deckzoom-85) { zoom: 0.85; }
.reveal .celltag_deckzoom-90, .reveal .jp-Cell:has(.deckzoom-90) { zoom: 0.90; }
.reveal .celltag_deckzoom-95, .reveal .jp-Cell:has(.deckzoom-95) { zoom: 0.95; }
/* a slide that still does not fit scrolls, and says so */
.reveal .slides section.deck-scrolls::after { content: "▼ scroll"; position: sticky; bottom: 0;
    float: right; font-size: 14px; color: #c44e52; background: #fff; }
</style>
{%- endblock html_head_css -%}
{% block footer_js %}
<script src="{{ reveal_url_prefix }}/dist/reveal.js"></script>
<script src="{{ reveal_url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
    controls: true, progress: true, history: true, hash: true,
    transition: "{{ reveal_transition }}", slideNumber: "{{ reveal_number }}",
    width: {{ reveal_width }}, height: {{ reveal_height }},
    plugins: [RevealNotes]
});
// A slide taller than the deck scrolls instead of being cut off.
function scrollIfTall() {
    var slide = Reveal.getCurrentSlide(), height = Reveal.getConfig().height;
    if (slide && slide.scrollHeight > height) {
        slide.style.height = height + 'px';
        slide.style.overflowY = 'auto';
        slide.classList.add('deck-scrolls');
        Reveal.layout();
    }
}
// A displayed equation wider than the slide is scaled to its width (text never is).
function fitEquations() {
    document.querySelectorAll('.reveal .MathJax_Display').forEach(function (e) {
        e.style.zoom = '';
        var room = e.parentElement.clientWidth, need = e.scrollWidth;
        if (room > 0 && need > room) { e.style.zoom = Math.max(0.5, room / need).toFixed(3); }
    });
}
if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(fitEquations); }
Reveal.on('ready', scrollIfTall);
Reveal.on('slidechanged', function () {
    if (window.MathJax && MathJax.Hub) {
        MathJax.Hub.Queue(['Rerender', MathJax.Hub, Reveal.getCurrentSlide()], fitEquations,
                          scrollIfTall);
    }
    scrollIfTall();
});
</script>
{% endblock footer_js %}
"""

_LAB_TEMPLATE = "{%- extends 'index.html.j2' -%}" + _COMMON_BLOCKS + r"""
{%- block body_header -%}
{{ super() }}
{%- if resources.site_nav -%}
<nav class="course-nav" style="padding: 0.5em 1em; border-bottom: 1px solid #ddd; font-family: sans-serif;">
{{ resources.site_nav }}
</nav>
{%- endif -%}
{%- endblock body_header -%}
{% block body_footer %}
{%- if resources.site_nav -%}
<nav class="course-nav" style="padding: 0.5em 1em; border-top: 1px solid #ddd; font-family: sans-serif;">
{{ resources.site_nav }}
</nav>
{%- endif -%}
{{ super() }}
{% endblock body_footer %}
"""


def offline_exporter(kind, static_prefix=STATIC):
    """An nbconvert exporter (``"slides"`` or ``"html"``) whose output needs no network.

    ``static_prefix`` is the path from the HTML file to the ``_static`` folder.
    """
    import jinja2
    from nbconvert import HTMLExporter, SlidesExporter

    if kind == "slides":
        exporter = SlidesExporter(
            extra_loaders=[jinja2.DictLoader({"offline_reveal.html.j2": _REVEAL_TEMPLATE})],
            template_file="offline_reveal.html.j2",
            reveal_url_prefix=f"{static_prefix}/reveal.js",
            reveal_theme="white",
            exclude_input_prompt=True,     # the "In [3]:" column costs a slide 110 px
            exclude_output_prompt=True,
        )
    elif kind == "html":
        exporter = HTMLExporter(
            extra_loaders=[jinja2.DictLoader({"offline_lab.html.j2": _LAB_TEMPLATE})],
            template_name="lab",
            template_file="offline_lab.html.j2",
        )
    else:
        raise ValueError(f"kind must be 'slides' or 'html'; got {kind!r}")
    exporter.mathjax_url = mathjax_url(static_prefix)
    exporter.embed_images = True
    # Not loaded by the templates above; set so nothing can point at a CDN by accident.
    exporter.require_js_url = exporter.jquery_url = exporter.mermaid_js_url = ""
    return exporter


# ------------------------------------------------------------------- widgets
def _widget_outputs(state, model_id, seen=None):
    """Outputs stored in the Output widgets reachable from ``model_id`` (depth first)."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    entry = state[model_id]
    model = entry.get("state", {})
    outputs = list(model.get("outputs", [])) if entry.get("model_name") == "OutputModel" else []
    if entry.get("model_name") == "ImageModel" and model.get("format", "png") == "png":
        # an ipywidgets.Image: its PNG is a binary buffer of the saved state, base64
        for buffer in entry.get("buffers", []):
            if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": buffer["data"], "text/plain": "<picture>"}})
    for child in model.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            outputs += _widget_outputs(state, child[len("IPY_MODEL_"):], seen)
    return outputs


def freeze_widgets(nb, live_hint="an interactive widget, shown as it last drew: run the notebook "
                                 "in JupyterLab to use it"):
    """Replace each widget output by the last outputs it showed plus a one-line note (in place).

    Static HTML has no kernel, so a widget view would render as nothing; the notebook's
    saved widget state still holds the picture it drew last.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                new.append(out)
                continue
            model_id = data[WIDGET_VIEW].get("model_id", "")
            for inner in _widget_outputs(state, model_id):
                new.append(nbformat.from_dict(inner))
            new.append(nbformat.v4.new_output(
                "display_data", {"text/html": f"<p><em>({html.escape(live_hint)})</em></p>",
                                 "text/plain": f"({live_hint})"}))
        cell.outputs = new
    nb.metadata.pop("widgets", None)
    return nb


# ---------------------------------------------------------------------- links
_NOTEBOOK_LINK = re.compile(r'<a\s+href="([^"#:/?]+)\.ipynb(#[^"]*)?"([^>]*)>(.*?)</a>', re.S)


def rewrite_notebook_links(body, available, suffix):
    """Point links between notebooks (``03_output_delta.ipynb#…``) at the rendered pages.

    ``available``: the stems rendered in this build; a link to one becomes
    ``<stem><suffix>#…``.  A link to a notebook that is not part of the build would be a
    dead link, so it becomes plain text.  Returns ``(body, missing_stems)``.
    """
    missing = []

    def repl(match):
        stem, fragment, rest, text = match.group(1), match.group(2) or "", match.group(3), match.group(4)
        if stem in available:
            return f'<a href="{stem}{suffix}{fragment}"{rest}>{text}</a>'
        missing.append(stem)
        return f'<span title="{html.escape(stem)}.ipynb is not part of this build">{text}</span>'

    return _NOTEBOOK_LINK.sub(repl, body), sorted(set(missing))


def _warn_missing(name, missing):
    if missing:
        print(f"warning: {name} links to notebooks not in this build, shown as plain text: "
              f"{', '.join(m + '.ipynb' for m in missing)}", file=sys.stderr)


# ------------------------------------------------------------- offline check
class _Refs(HTMLParser):
    """Every (tag, attribute, URL) of href/src attributes, and every element id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.refs.append((tag, name, value))


_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+?)['\"]?\s*\)")
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def _local_target(base, url, root):
    """The file a relative URL points at, or a reason why it is not a local file."""
    if url.startswith(("http://", "https://", "//")):
        return None, "needs the network"
    if ":" in url.split("/", 1)[0] or url.startswith("/"):
        return None, "is not a relative path"
    path = (base / url.split("#", 1)[0].split("?", 1)[0]).resolve()
    if root not in path.parents and path != root:
        return None, "points outside the folder"
    if not path.is_file():
        return None, "does not exist"
    return path, None


def offline_problems(folder, start="index.html"):
    """Follow every link from ``start``: return ``(problems, pages_reached)``.

    A problem is an ``href``/``src`` (or a CSS ``url()``) that needs the network, leaves
    the folder or names a missing file, or an ``#anchor`` that is not on its page.  Links
    a reader may click to an outside page (``<a href="https://…">``) are allowed: nothing
    needs them to display the page.
    """
    root = Path(folder).resolve()
    problems, reached, todo, css_seen = [], set(), [root / start], set()
    ids, anchors = {}, []          # ids per page; (page, target, fragment) to check at the end
    while todo:
        page = todo.pop()
        if page in reached:
            continue
        reached.add(page)
        name = page.relative_to(root).as_posix()
        if not page.is_file():
            problems.append(f"{name}: missing")
            continue
        text = page.read_text(encoding="utf-8")
        parser = _Refs()
        parser.feed(text)
        ids[page] = parser.ids
        for tag, attr, url in parser.refs:
            if url.startswith(("data:", "mailto:", "javascript:")):
                continue
            if url.startswith("#"):
                if url[1:] and not url.startswith("#/") and url[1:] not in parser.ids:
                    problems.append(f"{name}: <{tag} {attr}=\"{url}\"> has no such id on the page")
                continue
            if tag == "a" and url.startswith(("http://", "https://")):
                continue
            target, why = _local_target(page.parent, url, root)
            if why:
                problems.append(f"{name}: <{tag} {attr}=\"{url[:80]}\"> {why}")
            elif target.suffix == ".html":
                todo.append(target)
                fragment = url.split("#", 1)[1] if "#" in url else ""
                if fragment and not fragment.startswith("/"):
                    anchors.append((name, target, fragment))
            elif target.suffix == ".css":
                css_seen.add(target)
        for block in _STYLE_BLOCK.findall(text):
            for url in _CSS_URL.findall(block):
                if not url.startswith("data:") and not url.startswith("#"):
                    _, why = _local_target(page.parent, url, root)
                    if why:
                        problems.append(f"{name}: inline style url({url[:80]}) {why}")
    for name, target, fragment in anchors:
        if fragment not in ids.get(target, set()):
            problems.append(f"{name}: link to {target.name}#{fragment}: no such id there")
    checked = set()
    while css_seen - checked:
        css = (css_seen - checked).pop()
        checked.add(css)
        text = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8"), flags=re.S)
        for url in _CSS_URL.findall(text):
            if url.startswith("data:"):
                continue
            target, why = _local_target(css.parent, url, root)
            if why:
                problems.append(f"{css.relative_to(root).as_posix()}: url({url[:80]}) {why}")
            elif target.suffix == ".css":
                css_seen.add(target)
    return problems, {p.relative_to(root).as_posix() for p in reached}


def report_offline(out):
    """Print the offline check of a built folder; returns the number of problems."""
    problems, reached = offline_problems(out)
    unreached = sorted(p.name for p in Path(out).glob("*.html")
                       if p.name not in reached)
    for p in problems:
        print(f"offline check: {p}", file=sys.stderr)
    for p in unreached:
        print(f"offline check: {p} is not linked from index.html", file=sys.stderr)
    if not problems and not unreached:
        print(f"offline check: {len(reached)} pages, every link and file resolves locally")
    return len(problems) + len(unreached)


# ---------------------------------------------------------------------- decks
def notebook_title(nb, fallback):
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _heading_level(cell.source) == 1:
            return cell.source.lstrip("\n").split("\n", 1)[0].lstrip("#").strip()
    return fallback


def select(folder, prefixes=()):
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(f"no folder {folder}")
    paths = sorted(p for p in folder.glob("*.ipynb")
                   if not prefixes or any(p.name.startswith(x) for x in prefixes))
    if not paths:
        raise SystemExit(f"no notebooks in {folder}" + (f" starting with {list(prefixes)}"
                                                         if prefixes else ""))
    return paths


#: What :func:`fit_decks` last found for each deck, keyed by the notebook's SHA-256: a build
#: of a notebook with exactly those bytes starts from that plan, so Chromium measures it once
#: (to confirm) instead of once per round.  Only a head start: every build is measured, and a
#: notebook whose bytes changed starts from nothing.  ``python tools/slides.py`` rewrites it.
FIT_PLANS = Path(__file__).resolve().parent / "slide_fits.json"


def _empty_fit():
    return {"table_rows": {}, "breaks": set(), "zoom": {}, "paragraphs": set(), "table_groups": {}}


def _digest(path):
    import hashlib
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ------------------------------------------------------------ editions
#: The languages of the course, each a folder of notebooks under solutions/ and chapters/
#: (English at the top; tools/translations.py makes the others).  Pages and decks of an
#: edition other than English carry its code before the extension: 03_output_delta.zh.html.
EDITIONS = {"en": "", "zh": "zh"}
PAGE_LANG = {"en": "en", "zh": "zh-CN"}
LANGUAGE_NAME = {"en": "English", "zh": "中文"}       # a language switch's link text


def edition_of(path):
    """``"zh"`` for a notebook in a ``zh/`` folder, else ``"en"``."""
    return next((lang for lang, folder in EDITIONS.items() if folder and Path(path).parent.name == folder),
                "en")


def edition_suffix(path_or_lang):
    lang = path_or_lang if path_or_lang in EDITIONS else edition_of(path_or_lang)
    return "" if lang == "en" else f".{lang}"


def deck_name(path):
    return f"{Path(path).stem}{edition_suffix(path)}.slides.html"


def _plan_key(path):
    lang = edition_of(path)
    return Path(path).name if lang == "en" else f"{EDITIONS[lang]}/{Path(path).name}"


def set_page_language(body, path_or_lang):
    """The page's ``<html lang>``: a browser picks Chinese glyph forms (and fonts) from it."""
    lang = path_or_lang if path_or_lang in EDITIONS else edition_of(path_or_lang)
    return re.sub(r"<html( lang=\"[^\"]*\")?", f'<html lang="{PAGE_LANG[lang]}"', body, count=1)


def edition_folder(source, lang):
    """The folder of notebooks of ``source`` (solutions, chapters or a folder) in ``lang``."""
    folder = ROOT / source if source in ("solutions", "chapters") else Path(source)
    return folder / EDITIONS[lang] if EDITIONS[lang] else folder


def load_fit_plans(paths, plans_file=FIT_PLANS):
    """``{stem: fit}`` for the notebooks whose bytes match the stored plan."""
    import json
    try:
        stored = json.loads(Path(plans_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    for p in paths:
        entry = stored.get(_plan_key(p))
        if isinstance(entry, dict) and entry.get("sha256") == _digest(p):
            fit = _empty_fit()
            for key in fit:
                value = entry.get("fit", {}).get(key)
                if value is not None:
                    fit[key] = set(value) if isinstance(fit[key], set) else dict(value)
            found[p.stem] = fit
    return found


def save_fit_plans(paths, fits, plans_file=FIT_PLANS):
    """Store the plans of ``paths``, keeping those of the other notebooks (the other edition)."""
    import json
    try:
        kept = json.loads(Path(plans_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = {}
    plans = kept | {_plan_key(p): {"sha256": _digest(p),
                      "fit": {k: sorted(v) if isinstance(v, set) else v
                              for k, v in fits[p.stem].items()}}
             for p in paths if p.stem in fits}
    plans = {k: plans[k] for k in sorted(plans)}
    Path(plans_file).write_text(json.dumps(plans, indent=1, sort_keys=True, ensure_ascii=False)
                                + "\n", encoding="utf-8")


def build_deck(path, out, exporter=None, available=None, fit=None):
    """Write ``out/<name>.slides.html`` for one notebook (not executed); returns its path.

    ``available``: stems of the other decks of the build, for links between them;
    ``fit``: what :func:`fit_decks` measured (``table_rows``, ``breaks``, ``zoom``).
    """
    exporter = exporter or offline_exporter("slides")
    nb = nbformat.read(path, as_version=4)
    nb = freeze_widgets(deck_notebook(nb, **(fit or {})),
                        "an interactive widget, shown as it last drew: open the notebook in "
                        "JupyterLab to move its sliders")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    body, missing = rewrite_notebook_links(body, available or {path.stem},
                                           f"{edition_suffix(path)}.slides.html")
    _warn_missing(path.name, missing)
    target = Path(out) / deck_name(path)
    target.write_text(set_page_language(body, path), encoding="utf-8")
    return target


def build_decks(source="solutions", out=None, prefixes=(), fit=None, save_plans=False,
                languages=tuple(EDITIONS)):
    """Build every deck of ``source`` (``solutions`` or ``chapters``) into ``out`` with an index,
    in each of ``languages`` (``<name>.slides.html``, ``<name>.zh.slides.html``).

    ``fit``: measure the decks in Chromium and split or scale what overflows
    (:func:`fit_decks`, starting from the stored plans, :data:`FIT_PLANS`); default: when
    Chromium and playwright are installed.  ``save_plans``: store what was found.
    Returns ``(out, paths)``, the paths of every edition.
    """
    out = Path(out) if out else ROOT / "build" / "slides"
    editions = {lang: select(edition_folder(source, lang), prefixes) for lang in languages}
    paths = [p for ps in editions.values() for p in ps]
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.slides.html"):          # decks of an earlier build
        if old.name not in {deck_name(p) for p in paths}:
            old.unlink()
    copy_static(out, reveal=True)
    exporter = offline_exporter("slides")
    if fit is None:
        fit = can_measure()
    lists = {}
    measured = {} if fit else None
    for lang, lang_paths in editions.items():
        plans = load_fit_plans(lang_paths) if fit else {}
        rows = []
        for p in lang_paths:
            target = build_deck(p, out, exporter, {q.stem for q in lang_paths}, plans.get(p.stem))
            title = notebook_title(nbformat.read(p, as_version=4), p.stem)
            rows.append(f'<li><a href="{html.escape(target.name)}">{html.escape(title)}</a> '
                        f'<small>({html.escape(p.name)})</small></li>')
        lists[lang] = rows
        if fit:
            fits, found = fit_decks(out, lang_paths, exporter, {q.stem for q in lang_paths},
                                    start=plans)[1:]
            measured.update(found)
            if save_plans:
                save_fit_plans(lang_paths, fits)
    _link_editions(out, editions)
    heading = {"en": "English", "zh": "中文版（Simplified Chinese）"}
    sections = "".join(f'<h2 id="{lang}" lang="{PAGE_LANG[lang]}">{heading[lang]}</h2>'
                       f'<ul lang="{PAGE_LANG[lang]}">{"".join(rows)}</ul>'
                       for lang, rows in lists.items())
    switch = " · ".join(f'<a href="#{lang}">{heading[lang]}</a>' for lang in lists)
    (out / "index.html").write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Backpropagation, derived and checked: slides</title>"
        + index_math_head(STATIC) + "</head>"
        "<body style=\"font-family: sans-serif; max-width: 50em; margin: 2em auto;\">"
        "<h1>Backpropagation, derived and checked: slide decks</h1>"
        f'<p class="language-switch">{switch}</p>'
        "<p>Open a deck; arrow keys move, <kbd>S</kbd> opens the speaker view, "
        "<kbd>Esc</kbd> the overview. Everything is local: no network needed.</p>"
        f"{sections}</body></html>\n", encoding="utf-8")
    build_decks.measured = measured        # {deck: slides as measured in Chromium} or None
    return out, paths


def _link_editions(out, editions):
    """A small fixed link in a corner of every deck to the same deck in the other editions
    (outside the slides: it changes no slide's size)."""
    stems = {lang: {p.stem for p in ps} for lang, ps in editions.items()}
    for lang, paths in editions.items():
        for p in paths:
            links = " · ".join(
                f'<a hreflang="{PAGE_LANG[other]}" href="{p.stem}{edition_suffix(other)}.slides.html">'
                f"{LANGUAGE_NAME[other]}</a>"
                for other in editions if other != lang and p.stem in stems[other])
            if not links:
                continue
            deck = Path(out) / deck_name(p)
            body = deck.read_text(encoding="utf-8")
            switch = (f'<div class="language-switch" style="position: fixed; top: 6px; right: 12px; '
                      f'z-index: 30; font: 14px sans-serif;">{links}</div>')
            deck.write_text(body.replace("</body>", switch + "\n</body>", 1), encoding="utf-8")


def report_overflow(measured):
    """Print every slide still taller or wider than the deck; returns how many."""
    bad = [(deck.name, slide) for deck, found in (measured or {}).items() for slide in found
           if overflowing(slide)]
    for name, slide in bad:
        print(f"overflow: {name} slide {slide['h'] + 1}.{slide['v'] + 1} "
              f"({slide['title'][:40]!r}): {slide['height']} × {slide['width']} px in a "
              f"{slide['deckHeight']} px deck, {slide['wide']} element(s) cut at the edge "
              f"{slide['wideWhat'][:2]}",
              file=sys.stderr)
    if measured is None:
        print("overflow check skipped: needs /usr/bin/chromium and playwright", file=sys.stderr)
    elif not bad:
        print(f"overflow check: all {sum(len(v) for v in measured.values())} slides fit the deck")
    return len(bad)


# ------------------------------------------------------------ measuring decks
#: In a deck opened in Chromium: every slide shown at once (so each can be measured), and for
#: each leaf slide its height and width and the cells on it, with their keys and heights.
#: Before the deck's scripts run: every slide displayed, so MathJax typesets each one where it
#: will be measured (and no second typesetting pass is needed).
_SHOW_ALL_JS = """document.addEventListener('DOMContentLoaded', () => {
    const style = document.createElement('style');
    style.textContent = '.reveal .slides section { display: block !important; }';
    document.head.appendChild(style);
});"""
_MEASURE_JS = r"""async () => {
    const leaves = [...document.querySelectorAll('.reveal .slides section')]
        .filter(s => !s.querySelector('section'));
    return leaves.map(slide => {
        const i = Reveal.getIndices(slide);
        const top = slide.getBoundingClientRect().top;
        const scale = Reveal.getScale();
        const cells = [...slide.querySelectorAll('.jp-Cell')].map(cell => {
            const marker = cell.querySelector('.deckcell');
            const tag = [...cell.classList].find(c => c.startsWith('celltag_deckcell-')) || '';
            const r = cell.getBoundingClientRect();
            return {key: marker ? marker.dataset.key
                             : tag.slice('celltag_deckcell-'.length).replace('-', '.'),
                    top: (r.top - top) / scale, height: r.height / scale,
                    code: !!cell.querySelector('.jp-CodeCell, .jp-OutputArea') ||
                          cell.classList.contains('jp-CodeCell'),
                    table: !!cell.querySelector('table'),
                    wideTable: [...cell.querySelectorAll('table')].some(t =>
                        t.scrollWidth > slide.clientWidth - 20 || t.scrollWidth > t.clientWidth + 1)};
        });
        // cut off: content wider than its box, or a box reaching past the slide's right edge
        const left = slide.getBoundingClientRect().left;
        const cut = [...slide.querySelectorAll('pre, table, img, .MathJax_Display, .jp-Cell')]
            .filter(e => e.scrollWidth > e.clientWidth + 1
                    || (e.getBoundingClientRect().right - left) / scale > slide.clientWidth + 16);
        const wide = cut.length;
        const wideWhat = cut.map(e => e.tagName + ' ' + e.scrollWidth + '/' + e.clientWidth + ': '
                                 + e.textContent.trim().slice(0, 50));
        const body = slide.querySelector('.jp-RenderedHTMLCommon p');
        const fontOf = e => e ? parseFloat(getComputedStyle(e).fontSize) : null;
        const tableFonts = [...slide.querySelectorAll('.jp-RenderedHTMLCommon td')]
            .map(fontOf);
        return {h: i.h, v: i.v, height: slide.scrollHeight, width: slide.scrollWidth,
                deckHeight: Reveal.getConfig().height, deckWidth: Reveal.getConfig().width,
                cells, wide, wideWhat, bodyFont: fontOf(body),
                tableFont: tableFonts.length ? Math.min(...tableFonts) : null,
                title: (slide.querySelector('h1, h2, h3') || {}).textContent || ''};
    });
}"""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def can_measure():
    """True when Debian's Chromium and the ``playwright`` package are there."""
    import importlib.util
    return CHROMIUM.exists() and importlib.util.find_spec("playwright") is not None


def measure_decks(decks):
    """Open each deck (paths) in headless Chromium with the network blocked; returns
    ``{deck: [slide, …]}``, each slide a dict with its ``height``/``width`` (CSS px, the deck
    is ``deckHeight`` × ``deckWidth``), its ``cells`` (key, top, height), the number of
    elements wider than the slide (``wide``) and the body and table font sizes."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": DECK_WIDTH, "height": DECK_HEIGHT})
            page.add_init_script(_SHOW_ALL_JS)
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith(("file:", "data:", "about:"))
                       else route.abort())
            for deck in decks:
                page.goto(Path(deck).resolve().as_uri())
                page.wait_for_function("window.Reveal && Reveal.isReady() && (!window.MathJax "
                                       "|| (MathJax.isReady && MathJax.Hub.queue.pending === 0))",
                                       timeout=60000)
                found[Path(deck)] = page.evaluate(_MEASURE_JS)
        finally:
            browser.close()
    return found


def overflowing(slide, margin=0):
    """Whether a measured slide is taller or wider than the deck (or has content wider than it)."""
    return (slide["height"] > slide["deckHeight"] - margin or slide["width"] > slide["deckWidth"]
            or slide["wide"] > 0)


def _plan(slides_measured, fit):
    """Turn measured slides into more breaks, shorter tables and scaled cells; returns what
    was changed, in words (empty: nothing overflows)."""
    changes = []
    limit = DECK_HEIGHT - 20
    for slide in slides_measured:
        if not overflowing(slide, 20):
            continue
        where = f"slide {slide['h'] + 1}.{slide['v'] + 1} ({slide['title'][:40]!r}, " \
                f"{slide['height']} px)"
        cells = [c for c in slide["cells"] if c["key"]]
        for cell in cells:
            i = cell["key"].split(".")[0]
            if cell.get("wideTable") and fit["table_groups"].get(i, 1) < 4:
                fit["table_groups"][i] = fit["table_groups"].get(i, 1) + 1
                changes.append(f"{where}: table of cell {i} in "
                               f"{fit['table_groups'][i]} groups of columns")
        start, acted = (cells[0]["top"] if cells else 0), False
        for n, cell in enumerate(cells):
            bottom = cell["top"] + cell["height"]
            if n and bottom - start > limit:
                fit["breaks"].add(cell["key"])
                changes.append(f"{where}: new sub-slide at cell {cell['key']}")
                start, acted = cell["top"], True
            if cell["height"] > limit:
                i = cell["key"].split(".")[0]
                if cell["table"] and fit["table_rows"].get(i, TABLE_ROWS) > 3:
                    now = fit["table_rows"].get(i, TABLE_ROWS)
                    rows = max(3, min(now - 1, int(now * (limit - 60) / cell["height"])))
                    fit["table_rows"][i] = rows
                    changes.append(f"{where}: table of cell {i} in chunks of {rows} rows")
                elif not cell["code"] and i not in fit["paragraphs"]:
                    fit["paragraphs"].add(i)        # text is never scaled: split it instead
                    changes.append(f"{where}: text of cell {i} split at its paragraphs")
                else:
                    now = fit["zoom"].get(cell["key"], 100)
                    z = max(int(MIN_ZOOM * 100), 5 * int(now * limit / cell["height"] / 5))
                    if z < now:
                        fit["zoom"][cell["key"]] = z
                        changes.append(f"{where}: cell {cell['key']} scaled to {z} %")
                acted = True
        if not acted and slide["height"] > limit:
            changes.append(f"{where}: still overflows")
    return changes


def fit_decks(out, paths, exporter, available, rounds=4, log=print, start=None):
    """Measure the built decks in Chromium and rebuild those with a slide taller than the
    deck (more sub-slides, shorter table chunks, scaled cells) until all fit or ``rounds``
    run out; returns ``({stem: [change, …]}, {stem: fit}, {deck path: measured slides})``,
    the last as the decks finally are.  ``start``: ``{stem: fit}`` the decks were built with."""
    fits = {p.stem: copy.deepcopy((start or {}).get(p.stem) or _empty_fit()) for p in paths}
    done = {p.stem: [] for p in paths}
    todo, final = list(paths), {}
    for _ in range(rounds + 1):
        measured = measure_decks([Path(out) / deck_name(p) for p in todo])
        final.update(measured)
        again = []
        for p in todo if _ < rounds else []:
            changes = _plan(measured[Path(out) / deck_name(p)], fits[p.stem])
            changes = [c for c in changes if not c.endswith("still overflows")]
            if changes:
                done[p.stem] += changes
                build_deck(p, out, exporter, available, fits[p.stem])
                again.append(p)
        if not again:
            break
        todo = again
    for stem, changes in done.items():
        for c in changes:
            log(f"fit {stem}: {c}")
    return done, fits, final


def folder_size(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    parser.add_argument("--from", dest="source", default="solutions",
                        help="solutions (default), chapters, or a folder of notebooks")
    parser.add_argument("--out", default=None, help="output folder (default build/slides)")
    parser.add_argument("--lang", choices=tuple(EDITIONS), action="append",
                        help="only this edition (repeatable; default: every edition)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out, paths = build_decks(args.source, args.out, args.prefixes,
                             save_plans=args.source == "solutions" and not args.prefixes,
                             languages=tuple(args.lang or EDITIONS))
    print(f"built {len(paths)} deck(s) from {args.source}/ into {out} in "
          f"{time.perf_counter() - t0:.1f} s ({folder_size(out) / 1e6:.1f} MB); "
          f"open {out / 'index.html'}")
    problems = report_offline(out) + report_overflow(build_decks.measured)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
