"""Render the whole course to a static HTML site that works offline.

    python tools/build_site.py                       # from chapters/ into build/site/
    python tools/build_site.py --from solutions      # the complete notebooks instead
    python tools/build_site.py --out /tmp/site

The notebooks are rendered as they are stored (``make notebooks`` executes them; this
does not), one page per chapter with links to the previous and next chapter and to an
index page.  Figures are embedded in the pages, MathJax is copied next to them
(``_static/mathjax``), and no page loads anything from the network: open
``build/site/index.html`` straight from the disk, or serve the folder with any web server.
A widget shows the last picture it drew and a note to open the notebook for the live version.
The learners' copies are the default (a site is for a class); nbgrader's hidden tests are
removed from every page whichever folder is rendered, and the index typesets its math.
"""

from __future__ import annotations

import argparse
import copy
import html
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/ is a folder of scripts
import slides  # noqa: E402  (the offline exporter and the helpers it shares with the decks)

ROOT = slides.ROOT

INDEX_INTRO = """\
<p>A course that derives backpropagation for fully connected networks step by step, checks
every formula numerically, and has the learner implement each one.  Each chapter below is a
Jupyter notebook rendered as a page; to run it, open <code>chapters/</code> in JupyterLab
(<code>make lab</code>).</p>
"""


def _nav(pages, i):
    parts = ['<a href="index.html">Contents</a>']
    if i > 0:
        parts.insert(0, f'<a href="{pages[i - 1][0]}">&larr; {html.escape(pages[i - 1][1])}</a>')
    if i + 1 < len(pages):
        parts.append(f'<a href="{pages[i + 1][0]}">{html.escape(pages[i + 1][1])} &rarr;</a>')
    return " &middot; ".join(parts)


def build_site(source="chapters", out=None, prefixes=()):
    """Render every notebook of ``source`` into ``out`` (default ``build/site``); returns
    ``(out, paths)``."""
    folder = ROOT / source if source in ("solutions", "chapters") else Path(source)
    out = Path(out) if out else ROOT / "build" / "site"
    paths = slides.select(folder, prefixes)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.html"):                 # chapter pages of an earlier build
        if old.name != "index.html" and old.stem not in {p.stem for p in paths} \
                and 'class="course-nav"' in old.read_text(encoding="utf-8", errors="replace"):
            old.unlink()
    slides.copy_static(out, reveal=False)
    exporter = slides.offline_exporter("html")

    notebooks = [nbformat.read(p, as_version=4) for p in paths]
    pages = [(f"{p.stem}.html", slides.notebook_title(nb, p.stem))
             for p, nb in zip(paths, notebooks)]
    for i, (p, nb) in enumerate(zip(paths, notebooks)):
        nb = slides.freeze_widgets(slides.strip_hidden_tests(copy.deepcopy(nb)))
        resources = {"metadata": {"name": pages[i][1]}, "site_nav": _nav(pages, i)}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        body, missing = slides.rewrite_notebook_links(body, {q.stem for q in paths}, ".html")
        slides._warn_missing(p.name, missing)
        (out / pages[i][0]).write_text(body, encoding="utf-8")

    which = "solutions (complete)" if folder.name == "solutions" else \
        "learners' copies (exercises to do)" if folder.name == "chapters" else str(folder)
    rows = "".join(f'<li><a href="{href}">{html.escape(title)}</a></li>' for href, title in pages)
    (out / "index.html").write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Backpropagation, derived and checked</title>"
        + slides.index_math_head(slides.STATIC) + "</head>"
        "<body style=\"font-family: sans-serif; max-width: 50em; margin: 2em auto; "
        "line-height: 1.5;\">"
        "<h1>Backpropagation, derived and checked</h1>" + INDEX_INTRO +
        f"<p>This site shows the {html.escape(which)}.</p>"
        f"<h2>Contents</h2><ol>{rows}</ol></body></html>\n", encoding="utf-8")
    return out, paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    parser.add_argument("--from", dest="source", default="chapters",
                        help="chapters (default: the learners' copies), solutions, or a folder "
                             "of notebooks")
    parser.add_argument("--out", default=None, help="output folder (default build/site)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out, paths = build_site(args.source, args.out, args.prefixes)
    print(f"built a site of {len(paths)} page(s) from {args.source}/ into {out} in "
          f"{time.perf_counter() - t0:.1f} s ({slides.folder_size(out) / 1e6:.1f} MB); "
          f"open {out / 'index.html'}")
    return 1 if slides.report_offline(out) else 0


if __name__ == "__main__":
    sys.exit(main())
