"""Render the whole course to a static HTML site that works offline.

    python tools/build_site.py                       # from chapters/ into build/site/
    python tools/build_site.py --from solutions      # the complete notebooks instead
    python tools/build_site.py --out /tmp/site
    python tools/build_site.py --lang zh             # only the Chinese edition (default: both)

Both editions are built, English (``03_output_delta.html``, ``index.html``) and Chinese
(``03_output_delta.zh.html``, ``index.zh.html``), every page linking to the same page in the
other language.  The notebooks are rendered as they are stored (``make notebooks`` executes them; this
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


INDEX_INTRO_ZH = """\
<p>本课程针对全连接网络，一步一步推导反向传播，用数值检验每一个公式，并让学习者亲手实现每一个公式。下面每一章都是一个
Jupyter 笔记本，渲染成一个页面；要运行它，请在 JupyterLab 中打开 <code>chapters/zh/</code>
（<code>make lab-zh</code>）。</p>
"""

TITLE = {"en": "Backpropagation, derived and checked", "zh": "反向传播：推导与检验"}
CONTENTS = {"en": "Contents", "zh": "目录"}


def _page_name(stem, lang):
    return f"{stem}{slides.edition_suffix(lang)}.html"


def _nav(pages, i, lang, switch):
    index = _page_name("index", lang)
    parts = [f'<a href="{index}">{CONTENTS[lang]}</a>']
    if i > 0:
        parts.insert(0, f'<a href="{pages[i - 1][0]}">&larr; {html.escape(pages[i - 1][1])}</a>')
    if i + 1 < len(pages):
        parts.append(f'<a href="{pages[i + 1][0]}">{html.escape(pages[i + 1][1])} &rarr;</a>')
    return " &middot; ".join(parts) + switch


def _switch(stem, lang, languages, available):
    """Links to the same page in the other editions (the index when it has no such page)."""
    links = [f'<a class="language-switch" hreflang="{slides.PAGE_LANG[other]}" '
             f'href="{_page_name(stem if stem in available[other] else "index", other)}">'
             f"{slides.LANGUAGE_NAME[other]}</a>" for other in languages if other != lang]
    return (" &middot; " + " &middot; ".join(links)) if links else ""


def build_site(source="chapters", out=None, prefixes=(), languages=tuple(slides.EDITIONS)):
    """Render every notebook of ``source`` into ``out`` (default ``build/site``), in each of
    ``languages`` (``03_output_delta.html``, ``03_output_delta.zh.html``, with an index each and
    a link on every page to the same page in the other language); returns ``(out, paths)``."""
    out = Path(out) if out else ROOT / "build" / "site"
    editions = {lang: slides.select(slides.edition_folder(source, lang), prefixes)
                for lang in languages}
    available = {lang: {p.stem for p in ps} for lang, ps in editions.items()}
    wanted = {_page_name(p.stem, lang) for lang, ps in editions.items() for p in ps}
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.html"):                 # chapter pages of an earlier build
        if not old.name.startswith("index.") and old.name not in wanted \
                and 'class="course-nav"' in old.read_text(encoding="utf-8", errors="replace"):
            old.unlink()
    slides.copy_static(out, reveal=False)
    exporter = slides.offline_exporter("html")
    folder = slides.edition_folder(source, "en")
    which = {"en": "solutions (complete)" if folder.name == "solutions" else
             "learners' copies (exercises to do)" if folder.name == "chapters" else str(folder),
             "zh": "完整解答" if folder.name == "solutions" else
             "学习者版本（练习待完成）" if folder.name == "chapters" else str(folder)}
    for lang, paths in editions.items():
        notebooks = [nbformat.read(p, as_version=4) for p in paths]
        pages = [(_page_name(p.stem, lang), slides.notebook_title(nb, p.stem))
                 for p, nb in zip(paths, notebooks)]
        for i, (p, nb) in enumerate(zip(paths, notebooks)):
            nb = slides.freeze_widgets(slides.strip_hidden_tests(copy.deepcopy(nb)))
            switch = _switch(p.stem, lang, languages, available)
            resources = {"metadata": {"name": pages[i][1]}, "site_nav": _nav(pages, i, lang, switch)}
            body, _ = exporter.from_notebook_node(nb, resources=resources)
            body, missing = slides.rewrite_notebook_links(body, available[lang],
                                                          f"{slides.edition_suffix(lang)}.html")
            slides._warn_missing(p.name, missing)
            (out / pages[i][0]).write_text(slides.set_page_language(body, lang), encoding="utf-8")

        rows = "".join(f'<li><a href="{href}">{html.escape(title)}</a></li>' for href, title in pages)
        intro = INDEX_INTRO if lang == "en" else INDEX_INTRO_ZH
        shows = (f"<p>This site shows the {html.escape(which['en'])}.</p>" if lang == "en" else
                 f"<p>本站展示的是{html.escape(which['zh'])}。</p>")
        (out / _page_name("index", lang)).write_text(
            f"<!DOCTYPE html>\n<html lang=\"{slides.PAGE_LANG[lang]}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{TITLE[lang]}</title>"
            + slides.index_math_head(slides.STATIC) + "</head>"
            "<body style=\"font-family: sans-serif; max-width: 50em; margin: 2em auto; "
            "line-height: 1.5;\">"
            f"<p>{_switch('index', lang, languages, available).removeprefix(' &middot; ')}</p>"
            f"<h1>{TITLE[lang]}</h1>" + intro + shows +
            f"<h2>{CONTENTS[lang]}</h2><ol>{rows}</ol></body></html>\n", encoding="utf-8")
    return out, [p for ps in editions.values() for p in ps]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts so")
    parser.add_argument("--from", dest="source", default="chapters",
                        help="chapters (default: the learners' copies), solutions, or a folder "
                             "of notebooks")
    parser.add_argument("--out", default=None, help="output folder (default build/site)")
    parser.add_argument("--lang", choices=tuple(slides.EDITIONS), action="append",
                        help="only this edition (repeatable; default: every edition)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out, paths = build_site(args.source, args.out, args.prefixes,
                            languages=tuple(args.lang or slides.EDITIONS))
    print(f"built a site of {len(paths)} page(s) from {args.source}/ into {out} in "
          f"{time.perf_counter() - t0:.1f} s ({slides.folder_size(out) / 1e6:.1f} MB); "
          f"open {out / 'index.html'}")
    return 1 if slides.report_offline(out) else 0


if __name__ == "__main__":
    sys.exit(main())
