"""The static site (tools/build_site.py): built from the stored notebooks, browsed offline.

The site is rendered from the already-executed notebooks — by default the learners' copies in
``chapters/``, what a class may see (no kernel is started); no hidden test reaches a page,
whichever folder is rendered, then every link is followed from ``index.html``: each ``href``/``src`` must
resolve to a file inside the site, nothing may need the network, every chapter page must
be reachable, and the pages must carry their math and figures.  (That MathJax really
typesets from the local copy in a browser with the network blocked is checked on a slide
deck in tests/test_slides.py: the decks and the site share the same ``_static/mathjax``.)
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return sys.modules[name]


slides = _load("slides")
build_site = _load("build_site")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    out, paths = build_site.build_site(out=out)          # the default: the learners' copies
    return out, paths


def test_the_default_site_is_the_learners_copies(site):
    out, paths = site
    assert {p.parent.name for p in paths} == {"chapters", "zh"}
    assert {p.parent.parent.name for p in paths if p.parent.name == "zh"} == {"chapters"}
    assert "learners&#x27; copies" in (out / "index.html").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "tools/build_site.py --from $(or $(FROM),chapters)" in makefile


def test_no_hidden_test_reaches_the_site_even_from_solutions(tmp_path):
    with_hidden = [p for p in sorted((ROOT / "solutions").glob("*.ipynb"))
                   if "BEGIN HIDDEN TESTS" in p.read_text(encoding="utf-8")]
    assert with_hidden, "no notebook has hidden tests: this test checks nothing"
    prefix = with_hidden[0].name[:2]
    out, _ = build_site.build_site("solutions", tmp_path, prefixes=(prefix,))
    page = next(out.glob(f"{prefix}*.html")).read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in page
    nb = nbformat.read(with_hidden[0], as_version=4)
    stripped = slides.strip_hidden_tests(nb)
    assert not any("HIDDEN TESTS" in c.source for c in stripped.cells)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs /usr/bin/chromium")
def test_index_math_is_typeset_and_no_font_is_missing(site):
    """The index lists titles such as 'the output error $\\delta^{(L)}$': typeset, not raw;
    no request of the index or a chapter page fails (MathJax's AMS font was one)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out, _ = site
    failed = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=slides.CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("requestfailed", lambda r: None if r.url.startswith("about:")
                    else failed.append(r.url))
            for name in ("index.html", "03_output_delta.html", "A_appendix.html"):
                page.goto((out / name).as_uri())
                page.wait_for_function("window.MathJax && MathJax.isReady && "
                                       "MathJax.Hub.queue.pending === 0", timeout=60000)
                if name == "index.html":
                    text = page.evaluate("document.body.innerText")
                    assert "$" not in text and "\\delta" not in text, text
                    assert page.evaluate("document.querySelectorAll('.MathJax').length") > 0
        finally:
            browser.close()
    assert failed == [], f"requests that failed: {failed}"


def test_every_link_resolves_inside_the_site(site):
    out, paths = site
    problems, reached = slides.offline_problems(out)
    assert problems == []
    pages = {p.name for p in out.glob("*.html")}
    assert pages == reached & pages, f"not linked from index.html: {sorted(pages - reached)}"
    assert {_page(p) for p in paths} <= reached


def _page(path):
    return f"{path.stem}{slides.edition_suffix(path)}.html"


def test_the_site_has_both_editions_and_a_switch_on_every_page(site):
    """Every chapter in English and in Chinese; each page links to its counterpart."""
    out, paths = site
    english = [p for p in paths if slides.edition_of(p) == "en"]
    chinese = [p for p in paths if slides.edition_of(p) == "zh"]
    assert {p.stem for p in english} == {p.stem for p in chinese} and len(english) == 7
    for p in english:
        en = (out / f"{p.stem}.html").read_text(encoding="utf-8")
        zh = (out / f"{p.stem}.zh.html").read_text(encoding="utf-8")
        assert re.search(f'<a class="language-switch"[^>]*href="{p.stem}.zh.html"', en)
        assert re.search(f'<a class="language-switch"[^>]*href="{p.stem}.html"', zh)
        assert '<html lang="zh-CN"' in zh and '<html lang="en"' in en
        assert re.search("[\u4e00-\u9fff]{20}", zh) and 'href="index.zh.html"' in zh
    index = (out / "index.zh.html").read_text(encoding="utf-8")
    assert "反向传播" in index and all(f'href="{p.stem}.zh.html"' in index for p in chinese)
    # links between chapters stay inside the edition
    appendix = (out / "A_appendix.zh.html").read_text(encoding="utf-8")
    assert 'href="04_hidden_delta.zh.html' in appendix and 'href="04_hidden_delta.html' not in appendix


def test_no_page_needs_the_network(site):
    out, _ = site
    for page in out.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        # script, stylesheet, image, frame: all local (links in prose may point outside)
        for tag, url in re.findall(r'<(script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="([^"]*)"',
                                   text):
            assert not url.startswith(("http:", "https:", "//")), f"{page.name}: <{tag}> {url}"
        assert "cdn.jsdelivr" not in text and "cdnjs.cloudflare" not in text and "unpkg.com" not in text


def test_pages_carry_math_figures_and_navigation(site):
    out, paths = site
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in paths:
        if slides.edition_of(p) == "en":
            assert f'href="{p.stem}.html"' in index
        page = (out / _page(p)).read_text(encoding="utf-8")
        assert 'src="_static/mathjax/MathJax.js?config=' in page, p.name
        home = "index.html" if slides.edition_of(p) == "en" else "index.zh.html"
        assert 'class="course-nav"' in page and f'href="{home}"' in page, p.name
        has_math = any(c.cell_type == "markdown" and "$" in c.source
                       for c in nbformat.read(p, as_version=4).cells)
        if has_math:  # the TeX reaches the page for MathJax to typeset
            assert re.search(r"\$[^$]+\$", page), f"{p.name}: no TeX left in the page"
    assert (out / "_static" / "mathjax" / "MathJax.js").is_file()
    appendix = (out / "A_appendix.html").read_text(encoding="utf-8")
    assert appendix.count('src="data:image/png;base64,') >= 2   # its two figures, embedded
    assert r"\delta^{(L)} = a^{(L)} - y" in appendix


def test_links_between_notebooks_point_at_pages():
    body = ('<a href="03_output_delta.ipynb">ch 3</a> '
            '<a href="04_hidden_delta.ipynb#The-recursion">ch 4</a> '
            '<a href="09_missing.ipynb">gone</a>')
    out, missing = slides.rewrite_notebook_links(body, {"03_output_delta", "04_hidden_delta"},
                                                 ".html")
    assert '<a href="03_output_delta.html">ch 3</a>' in out
    assert '<a href="04_hidden_delta.html#The-recursion">ch 4</a>' in out
    assert "09_missing" not in out.replace('title="09_missing.ipynb', "") and ">gone</span>" in out
    assert missing == ["09_missing"]


def test_offline_check_finds_what_would_break(tmp_path):
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="a.css"><script src="https://cdn.example/x.js"></script>'
        '<img src="nope.png"><a href="#gone">x</a><a href="https://example.org">fine</a>'
        '<a href="p.html#here">ok</a><a href="p.html#elsewhere">not there</a>')
    (tmp_path / "p.html").write_text('<h1 id="here">p</h1>')
    (tmp_path / "a.css").write_text("/* url(comment.png) */ .f { src: url(font.woff) }")
    problems, reached = slides.offline_problems(tmp_path)
    assert reached == {"index.html", "p.html"}
    assert len(problems) == 5, problems
    assert any("p.html#elsewhere" in p for p in problems)
    assert any("needs the network" in p for p in problems)
    assert any("nope.png" in p for p in problems)
    assert any("#gone" in p for p in problems)
    assert any("font.woff" in p for p in problems)


def test_site_from_the_solutions(tmp_path):
    out, paths = build_site.build_site("solutions", tmp_path, prefixes=("A",))
    assert [str(p.relative_to(ROOT)) for p in paths] == ["solutions/A_appendix.ipynb",
                                                         "solutions/zh/A_appendix.ipynb"]
    assert "solutions (complete)" in (out / "index.html").read_text(encoding="utf-8")
    assert slides.offline_problems(out)[0] == []
