"""Slide decks of the course: slide metadata from a notebook's structure, and offline HTML decks.

    python tools/slides.py                      # every deck, from solutions/, into build/slides/
    python tools/slides.py --from chapters      # the learners' copies instead
    python tools/slides.py A 03 --out /tmp/d    # only notebooks whose name starts so

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
        if old in KEPT_TYPES:
            kind, height = old, 0
        elif i == 0 or level in (1, 2):
            kind = "slide"
        elif level >= 3:
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
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web"}});
</script>
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
.reveal .slides table { font-size: 0.42em; }
.reveal .slides table code { font-size: 1em; }
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
        Reveal.layout();
    }
}
Reveal.on('ready', scrollIfTall);
Reveal.on('slidechanged', function () {
    if (window.MathJax && MathJax.Hub) {
        MathJax.Hub.Queue(['Rerender', MathJax.Hub, Reveal.getCurrentSlide()], scrollIfTall);
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
    model = state[model_id].get("state", {})
    outputs = list(model.get("outputs", [])) if state[model_id].get("model_name") == "OutputModel" else []
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


def build_deck(path, out, exporter=None, available=None):
    """Write ``out/<name>.slides.html`` for one notebook (not executed); returns its path.

    ``available``: stems of the other decks of the build, for links between them.
    """
    exporter = exporter or offline_exporter("slides")
    nb = nbformat.read(path, as_version=4)
    nb = freeze_widgets(apply_slide_metadata(copy.deepcopy(nb)),
                        "an interactive widget, shown as it last drew: open the notebook in "
                        "JupyterLab to move its sliders")
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    body, missing = rewrite_notebook_links(body, available or {path.stem}, ".slides.html")
    _warn_missing(path.name, missing)
    target = Path(out) / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def build_decks(source="solutions", out=None, prefixes=()):
    """Build every deck of ``source`` (``solutions`` or ``chapters``) into ``out`` with an index."""
    folder = ROOT / source if source in ("solutions", "chapters") else Path(source)
    out = Path(out) if out else ROOT / "build" / "slides"
    paths = select(folder, prefixes)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.slides.html"):          # decks of an earlier build
        if old.name not in {f"{p.stem}.slides.html" for p in paths}:
            old.unlink()
    copy_static(out, reveal=True)
    exporter = offline_exporter("slides")
    rows = []
    for p in paths:
        target = build_deck(p, out, exporter, {q.stem for q in paths})
        title = notebook_title(nbformat.read(p, as_version=4), p.stem)
        rows.append(f'<li><a href="{html.escape(target.name)}">{html.escape(title)}</a> '
                    f'<small>({html.escape(p.name)})</small></li>')
    (out / "index.html").write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Backpropagation, derived and checked: slides</title></head>"
        "<body style=\"font-family: sans-serif; max-width: 50em; margin: 2em auto;\">"
        "<h1>Backpropagation, derived and checked: slide decks</h1>"
        "<p>Open a deck; arrow keys move, <kbd>S</kbd> opens the speaker view, "
        "<kbd>Esc</kbd> the overview. Everything is local: no network needed.</p>"
        f"<ul>{''.join(rows)}</ul></body></html>\n", encoding="utf-8")
    return out, paths


def folder_size(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    parser.add_argument("--from", dest="source", default="solutions",
                        help="solutions (default), chapters, or a folder of notebooks")
    parser.add_argument("--out", default=None, help="output folder (default build/slides)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out, paths = build_decks(args.source, args.out, args.prefixes)
    print(f"built {len(paths)} deck(s) from {args.source}/ into {out} in "
          f"{time.perf_counter() - t0:.1f} s ({folder_size(out) / 1e6:.1f} MB); "
          f"open {out / 'index.html'}")
    return 1 if report_offline(out) else 0


if __name__ == "__main__":
    sys.exit(main())
