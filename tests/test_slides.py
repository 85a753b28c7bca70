"""Slides (tools/slides.py): slide types from a notebook's structure, and offline HTML decks.

The decks are built from the stored notebooks (no execution) and checked like the site:
every ``href``/``src`` resolves inside the build folder and nothing needs the network, and no
hidden test reaches a deck.  If Debian's Chromium is installed, the build measures every
rendered slide there (``slides.fit_decks``) and the tests FAIL if any slide is taller or
wider than the deck or a table's text is smaller than the body text; one slide is opened with
every non-loopback request blocked, its math must be typeset by the local MathJax (no font
request may fail) and the deck must advance.  Screenshots go to
``test-artifacts/screenshots/`` (``slide.png``, ``slide-glossary.png``, ``slide-crosswalk.png``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "test-artifacts" / "screenshots" / "slide.png"
SHOTS = SCREENSHOT.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return sys.modules[name]


slides = _load("slides")


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, source, *meta in cells:
        cell = (nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell)(source)
        if meta:
            cell.metadata["slideshow"] = {"slide_type": meta[0]}
        nb.cells.append(cell)
    return nb


# ------------------------------------------------------------- slide metadata
def test_slide_types_follow_the_headings():
    nb = notebook(("md", "# Chapter"), ("code", "import numpy"), ("md", "## Section\ntext"),
                  ("code", "x = 1"), ("md", "### Step"), ("md", "more words"),
                  ("md", "speaker hint", "notes"), ("code", "secret = 2", "skip"),
                  ("md", "#no-space is not a heading"))
    assert slides.slide_types(nb) == ["slide", "-", "slide", "-", "subslide", "-", "notes",
                                      "skip", "-"]


def test_a_full_slide_continues_on_a_subslide():
    long_code = "\n".join(f"x{i} = {i}" for i in range(slides.SLIDE_HEIGHT // 20))
    nb = notebook(("md", "## Section"), ("code", long_code), ("md", "After the long cell."),
                  ("code", "y = 1"), ("md", "A short note stays."))
    assert slides.slide_types(nb) == ["slide", "-", "subslide", "-", "-"]


def test_an_explanation_moves_with_its_code():
    """The group (markdown + the code after it) moves to a sub-slide as a whole."""
    lines = "\n".join(f"a{i} = {i}" for i in range(slides.SLIDE_HEIGHT // 40))
    nb = notebook(("md", "## Section"), ("code", lines), ("md", "Explain the next cell."),
                  ("code", lines))
    assert slides.slide_types(nb) == ["slide", "-", "subslide", "-"]


def test_apply_slide_metadata_is_idempotent_and_checks_its_input():
    nb = notebook(("md", "# A"), ("code", "1"), ("md", "### B"))
    once = slides.apply_slide_metadata(nb)
    types = [c.metadata.slideshow.slide_type for c in once.cells]
    twice = slides.apply_slide_metadata(once)
    assert [c.metadata.slideshow.slide_type for c in twice.cells] == types == ["slide", "-",
                                                                                "subslide"]
    with pytest.raises(TypeError, match="nb must be a notebook"):
        slides.apply_slide_metadata(["not", "a", "notebook"])


def _stored_types(nb):
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb")))
def test_every_chapter_carries_slide_metadata(name):
    """tools/build_notebooks.py writes the slide types into the solution and its learner copy
    (the learner copy keeps the solution's types: RISE shows both alike).  Whether they match
    today's rules exactly is not asked: a tweak to the rules takes effect at the next build."""
    solution = nbformat.read(ROOT / "solutions" / name, as_version=4)
    types = _stored_types(solution)
    assert set(types) <= {"slide", "subslide", "fragment", "-", "skip", "notes"} \
        and types[0] == "slide", f"solutions/{name} has no slide metadata: run `make notebooks`"
    chapter = nbformat.read(ROOT / "chapters" / name, as_version=4)
    assert _stored_types(chapter) == _stored_types(solution), \
        f"chapters/{name}: run `make notebooks`"


def _deck_types(nb):
    deck = slides.deck_notebook(nb)
    return [(c.cell_type, c.source.split("\n<div class=\"deckcell")[0].strip(),
             c.metadata.slideshow.slide_type) for c in deck.cells]


def test_decks_break_at_every_heading_inside_a_cell():
    nb = notebook(("md", "# Title\nintro"), ("md", "## One\ntext\n\n## Two\nmore\n"
                                                    "```\n## not a heading (code)\n```\n### Three"))
    got = _deck_types(nb)
    assert [t for _, _, t in got] == ["slide", "slide", "slide", "subslide"]
    assert got[2][1].startswith("## Two") and "## not a heading" in got[2][1]


def test_decks_leave_out_hidden_tests():
    nb = notebook(("md", "# T"), ("code", "x = 1\n### BEGIN HIDDEN TESTS\nassert secret\n"
                                          "### END HIDDEN TESTS\nprint(x)"),
                  ("code", "### BEGIN HIDDEN TESTS\nassert only_hidden\n### END HIDDEN TESTS"))
    got = _deck_types(nb)
    assert [src for kind, src, _ in got if kind == "code"] == ["x = 1\nprint(x)"]


def test_long_and_wide_tables_continue_with_their_header():
    rows = "\n".join(f"| r{i} | a{i} | b{i} | c{i} |" for i in range(20))
    table = "| name | A | B | C |\n|---|---|---|---|\n" + rows
    got = _deck_types(notebook(("md", "## Glossary\n\n" + table + "\n\nAfter.")))
    chunks = [src for _, src, _ in got if "| name |" in src]
    assert len(chunks) == -(-20 // slides.TABLE_ROWS)
    assert all(c.count("| r") <= slides.TABLE_ROWS for c in chunks)
    assert [t for _, src, t in got if "| name |" in src][1:] == ["subslide"] * (len(chunks) - 1)
    assert got[-1][1] == "After."
    wide = slides.deck_notebook(notebook(("md", table)), table_groups={"0": 2}, table_rows={"0": 30})
    heads = [c.source.split("\n")[0] for c in wide.cells]
    assert heads == ["| name | A | B |", "| name | C |"]


def test_widgets_are_frozen_to_their_last_picture():
    nb = notebook(("code", "interact(...)"))
    nb.metadata["widgets"] = {slides.WIDGET_STATE: {"state": {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_out"]}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [
            {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "fig"},
             "metadata": {}}]}},
    }}}
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", {slides.WIDGET_VIEW: {"model_id": "box", "version_major": 2,
                                              "version_minor": 0}, "text/plain": "VBox()"})]
    frozen = slides.freeze_widgets(nb)
    kinds = [sorted(o.data) for o in frozen.cells[0].outputs]
    assert kinds == [["image/png", "text/plain"], ["text/html", "text/plain"]]
    assert "widgets" not in frozen.metadata


def test_image_widgets_are_frozen_to_their_picture():
    """The explorers and the stepper show an ipywidgets.Image: its PNG is a state buffer."""
    nb = notebook(("code", "explorer"))
    nb.metadata["widgets"] = {slides.WIDGET_STATE: {"state": {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_img"]}},
        "img": {"model_name": "ImageModel", "state": {"format": "png"},
                "buffers": [{"path": ["value"], "encoding": "base64", "data": "iVBORw0K"}]},
    }}}
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", {slides.WIDGET_VIEW: {"model_id": "box", "version_major": 2,
                                              "version_minor": 0}, "text/plain": "VBox()"})]
    outputs = slides.freeze_widgets(nb).cells[0].outputs
    assert outputs[0].data["image/png"] == "iVBORw0K"


def test_rise_for_jupyterlab_is_installed_and_listed():
    """requirements.txt installs jupyterlab_rise; JupyterLab must list its extension as enabled."""
    import re
    import subprocess
    pytest.importorskip("jupyterlab_rise", reason="jupyterlab_rise is not installed: "
                        "pip install -r requirements.txt")
    jupyter = Path(sys.executable).with_name("jupyter")
    done = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True,
                          timeout=120)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    assert re.search(r"jupyterlab-rise v\S+ enabled\s+OK", listing), listing


# ------------------------------------------------------------------ the decks
def test_decks_are_built_in_both_editions(decks):
    """Every chapter has an English and a Chinese deck; the index lists both, each deck is
    marked with its language (a browser picks Chinese glyph forms from it)."""
    out, paths = decks
    names = {slides.deck_name(p) for p in paths}
    english = {p.stem for p in paths if slides.edition_of(p) == "en"}
    assert english and names >= {f"{s}.zh.slides.html" for s in english} | \
        {f"{s}.slides.html" for s in english}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="#zh"' in index and 'href="#en"' in index
    for stem in english:
        assert f'href="{stem}.zh.slides.html"' in index and f'href="{stem}.slides.html"' in index
        zh = (out / f"{stem}.zh.slides.html").read_text(encoding="utf-8")
        assert '<html lang="zh-CN"' in zh and re.search("[\u4e00-\u9fff]{20}", zh)
        en = (out / f"{stem}.slides.html").read_text(encoding="utf-8")
        assert '<html lang="en"' in en
        # each deck links to its counterpart
        assert f'href="{stem}.zh.slides.html">中文</a>' in en
        assert f'href="{stem}.slides.html">English</a>' in zh


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    built = slides.build_decks("solutions", out)
    built_measured[out] = slides.build_decks.measured       # as Chromium measured them
    return built


built_measured = {}


def test_no_hidden_test_reaches_a_deck(decks):
    out, paths = decks
    hidden = [p.name for p in paths if "BEGIN HIDDEN TESTS" in p.read_text(encoding="utf-8")]
    assert hidden, "no notebook has hidden tests: this test checks nothing"
    for p in paths:
        deck = (out / slides.deck_name(p)).read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in deck, p.name


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: slides are measured "
                    "in Debian's chromium (apt-get install chromium)")
def test_every_slide_fits_the_deck_and_tables_are_body_size(decks):
    """Measured in Chromium after the build split and scaled what it could: a slide taller or
    wider than the deck would be cut off in front of a room."""
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out, paths = decks
    measured = built_measured[out]
    assert measured, "the build did not measure the decks"
    assert {d.name for d in measured} == {slides.deck_name(p) for p in paths}
    bad = [f"{d.name} slide {s['h'] + 1}.{s['v'] + 1} {s['title'][:30]!r}: {s['height']}×"
           f"{s['width']} px, cut: {s['wideWhat'][:1]}"
           for d, found in measured.items() for s in found if slides.overflowing(s)]
    assert not bad, "slides that do not fit the deck:\n" + "\n".join(bad)
    body = {s["bodyFont"] for found in measured.values() for s in found if s["bodyFont"]}
    tables = [(d.name, s["h"] + 1, s["v"] + 1, s["tableFont"]) for d, found in measured.items()
              for s in found if s["tableFont"]]
    assert tables, "no table measured"
    small = [t for t in tables if t[3] < max(body)]
    assert not small, f"tables smaller than the body text ({max(body)} px): {small}"


def test_decks_open_offline(decks):
    out, paths = decks
    problems, reached = slides.offline_problems(out)
    assert problems == []
    assert {slides.deck_name(p) for p in paths} <= reached
    for p in paths:
        deck = (out / slides.deck_name(p)).read_text(encoding="utf-8")
        assert '<script src="_static/reveal.js/dist/reveal.js"></script>' in deck
        assert 'src="_static/mathjax/MathJax.js?config=' in deck
        assert "unpkg.com" not in deck and "cdnjs.cloudflare" not in deck   # nbconvert's CDNs
        assert deck.count("<section") >= 2, f"{p.name}: fewer than two slides"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: the screenshot of a "
                    "slide needs Debian's chromium (apt-get install chromium)")
def test_a_slide_renders_offline_in_chromium(decks):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    out, _ = decks
    deck = out / "A_appendix.slides.html"
    outside, failed = [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})

            def only_loopback(route):
                url = route.request.url
                host = url.split("/")[2].split(":")[0] if "://" in url else ""
                if url.startswith(("file:", "data:", "about:")) or host in ("127.0.0.1",
                                                                           "localhost", "[::1]"):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", only_loopback)
            # MathJax asks for its TeX .otf fonts for \mathbb and friends even when told to use
            # STIX-Web (which jupyter-server-mathjax ships, the TeX fonts it does not); the
            # symbol is then drawn from STIX, so such a miss is not a missing file of ours.
            page.on("requestfailed", lambda r: None if r.url.startswith("about:")
                    else failed.append(r.url))
            page.goto(deck.as_uri())
            page.wait_for_function("window.Reveal && Reveal.isReady() && window.MathJax && "
                                   "MathJax.isReady && MathJax.Hub.queue.pending === 0",
                                   timeout=30000)
            # go to the first slide with math on it (MathJax keeps the TeX in a script tag)
            page.evaluate("(() => { const s = Reveal.getSlides().find(x => "
                          "x.querySelector('script[type^=\"math/tex\"]'));"
                          " const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); })()")
            page.wait_for_function("MathJax.Hub.queue.pending === 0", timeout=30000)
            page.wait_for_timeout(800)  # the slide transition
            typeset = page.evaluate(
                "Reveal.getCurrentSlide().querySelectorAll('.MathJax, .MathJax_Display').length")
            before = page.evaluate("Reveal.getIndices().h")
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"Reveal.getIndices().h !== {before} || "
                                   f"Reveal.getIndices().v > 0", timeout=10000)
            # the crosswalk and the glossary, as a room sees them
            for name, heading in (("crosswalk", "The table"), ("glossary", "Glossary")):
                page.evaluate("(text) => { const s = Reveal.getSlides().find(x => [...x."
                              "querySelectorAll('h2, h3')].some(h => h.textContent.includes(text)));"
                              " const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); }", heading)
                page.wait_for_function("MathJax.Hub.queue.pending === 0", timeout=30000)
                page.wait_for_timeout(800)
                page.screenshot(path=str(SHOTS / f"slide-{name}.png"))
        finally:
            browser.close()
    assert outside == [], f"the deck asked for {outside}"
    assert failed == [], f"missing local files: {failed}"
    assert typeset > 0, "no math typeset on the slide"


def test_a_stored_fit_plan_applies_only_to_the_bytes_it_was_measured_on(tmp_path):
    """The plan is a head start, never a verdict: a changed notebook starts from nothing."""
    nb = tmp_path / "01_x.ipynb"
    nb.write_text('{"cells": []}', encoding="utf-8")
    plans = tmp_path / "plans.json"
    fit = {"table_rows": {"3": 4}, "breaks": {"12.0"}, "zoom": {"5.0": 80}, "paragraphs": {"7"},
           "table_groups": {}}
    slides.save_fit_plans([nb], {"01_x": fit}, plans)
    assert slides.load_fit_plans([nb], plans) == {"01_x": fit}
    nb.write_text('{"cells": [] }', encoding="utf-8")
    assert slides.load_fit_plans([nb], plans) == {}
    plans.write_text("not json", encoding="utf-8")
    assert slides.load_fit_plans([nb], plans) == {}
