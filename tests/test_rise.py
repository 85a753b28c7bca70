"""Live slides: a chapter's η slider on a RISE slide inside JupyterLab, in headless Chromium.

A lecturer's path, step by step: JupyterLab (on a free loopback port, serving a temporary COPY
of the learners' chapters) opens ``chapters/06_full_algorithm.ipynb``, runs all cells, selects
the η explorer's cell and presses the notebook toolbar's RISE button (*Render as Reveal
Slideshow*). The slideshow opens in a panel beside the notebook, on the explorer's slide. The
test asserts that the slider itself is on that slide (not the widget's text,
``FloatLogSlider(…)``), drags its handle there and waits until the printed result under it
changes: the slide's widgets talk to the kernel.

This needs JupyterLab's widget manager from ``jupyterlab_widgets`` < 3.0.11 (ipywidgets
8.1.2): later ones need the shared module ``@jupyterlab/console``, which the RISE slideshow
app does not provide, and the slide shows ``FloatLogSlider(…)`` instead
(jupyterlab-contrib/rise#119; requirements.txt pins it).

Screenshots: ``test-artifacts/screenshots/rise-*.png`` (git-ignored). The server, its kernels
and the browser are stopped also when the test fails. Without Chromium or playwright the test
is skipped locally and FAILS when ``CI`` is set (as tests/test_browser.py, whose helpers it uses).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "chapters/06_full_algorithm.ipynb"
WIDGET_CALL = "explorers.eta_explorer("      # the cell whose slide the test opens
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FRAME_S = 30          # the RISE panel's frame appears (after the notebook is saved)
SLIDE_MS = 45_000     # RISE's app loads in the frame and renders the widget on the slide


def _load_browser_helpers():
    """tests/test_browser.py's server, page and Chromium helpers (loaded under another name,
    so pytest's own import of that test module is left alone)."""
    spec = importlib.util.spec_from_file_location("_browser_helpers", ROOT / "tests" / "test_browser.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_browser_helpers", module)
    spec.loader.exec_module(module)
    return module


tb = _load_browser_helpers()

# The slide the slideshow shows, inside RISE's frame.
_SLIDE = ".reveal .slides section.present"

_SLIDE_STATE_JS = """() => {
    const slide = [...document.querySelectorAll('.reveal .slides section.present')].pop();
    if (!slide) return null;
    const visible = e => e.offsetParent !== null;
    return {
        hash: location.hash,
        sliders: [...slide.querySelectorAll('.widget-slider')].filter(visible).length,
        handles: [...slide.querySelectorAll('.eta-slider .noUi-handle')].filter(visible).length,
        results: [...slide.querySelectorAll('.explorer-result')].map(e => e.textContent.trim()),
        images: [...slide.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img, img.widget-image')]
                    .map(img => img.getAttribute('src') || ''),
        text: [...slide.querySelectorAll('.jp-OutputArea')].map(e => e.textContent).join('\\n'),
    };
}"""

_RESULT_CHANGED_JS = """(before) => {
    const slide = [...document.querySelectorAll('.reveal .slides section.present')].pop();
    const now = slide ? [...slide.querySelectorAll('.explorer-result')].map(e => e.textContent.trim()) : [];
    return now.length > 0 && JSON.stringify(now) !== JSON.stringify(before) && now;
}"""


_PLOT_CHANGED_JS = """(before) => {
    const slide = [...document.querySelectorAll('.reveal .slides section.present')].pop();
    const now = slide ? [...slide.querySelectorAll('.widget-output img, .jupyter-widgets-output-area img, img.widget-image')]
                            .map(img => img.getAttribute('src') || '') : [];
    return now.length > 0 && now.every(s => /^(data:image|blob:)/.test(s))
        && JSON.stringify(now) !== JSON.stringify(before);
}"""


def _widget_cell_index(nb) -> int:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and WIDGET_CALL in cell.source:
            return i
    raise AssertionError(f"{CHAPTER} has no cell calling {WIDGET_CALL}…)")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rise-course")
    import shutil
    shutil.copytree(ROOT / "chapters", root / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


@pytest.fixture(scope="module")
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("rise-*.png"):
        old.unlink()
    return SCREENSHOTS


@pytest.fixture(scope="module")
def browser():
    if importlib.util.find_spec("jupyterlab_rise") is None:
        tb._missing("jupyterlab_rise is not installed (pip install -r requirements.txt)")
    with tb.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    with tb.jupyterlab(course, tmp_path_factory.mktemp("rise-home")) as server:
        yield server


def _rise_frame(page):
    return next((f for f in page.frames if "/rise/" in f.url), None)


def _open_slideshow(page, shots: Path):
    """Press the notebook toolbar's RISE button; the button saves the notebook first, and a
    save that stalls (shared/TOOLING.md, "A flaky hang") gets one more press."""
    button = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar [data-command="RISE:preview"]')
    for attempt in (1, 2):
        button.click()
        for _ in range(FRAME_S * 4):
            frame = _rise_frame(page)
            if frame is not None:
                return frame
            page.wait_for_timeout(250)
        if attempt == 1:
            tb._note_stall(page, shots / "rise-stalled-attempt1.png", "the RISE panel did not open")
    raise AssertionError(f"no RISE panel {FRAME_S} s after pressing the RISE button, twice")


def test_eta_slider_works_on_a_rise_slide(browser, lab, course, shots):
    nb = nbformat.read(course / CHAPTER, as_version=4)
    index = _widget_cell_index(nb)
    console: list[str] = []
    blocked: list[str] = []   # the reveal theme asks Google Fonts: blocked, harmless
    with tb._page(browser, blocked) as page:
        page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
        try:
            try:
                tb._open_and_run_all(page, lab.base, CHAPTER, shots)
            except tb.PlaywrightTimeout:
                page.screenshot(path=str(shots / "rise-run-all-timeout.png"))
                pytest.fail(f"{CHAPTER}: Run All did not finish (twice).\n{lab.log_tail()}", pytrace=False)
            # Select the explorer's cell: the slideshow opens on its slide.
            cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
            cell.locator(".jp-InputArea-prompt").click()
            frame = _open_slideshow(page, shots)
            try:
                frame.wait_for_function(
                    "() => [...document.querySelectorAll('" + _SLIDE + " .eta-slider .noUi-handle')]"
                    ".some(e => e.offsetParent !== null)", timeout=SLIDE_MS)
            except tb.PlaywrightTimeout:
                page.screenshot(path=str(shots / "rise-no-slider.png"))
                state = frame.evaluate(_SLIDE_STATE_JS)
                shared = [c[:160] for c in console if "doesn't exist in shared scope" in c]
                raise AssertionError(
                    f"no η slider on the RISE slide after {SLIDE_MS / 1000:.0f} s; the slide's outputs "
                    f"read: {(state or {}).get('text', '')[:300]!r}; console: {shared[:3]} "
                    "(rise#119: jupyterlab_widgets must be < 3.0.11, see requirements.txt)") from None
            before = frame.evaluate(_SLIDE_STATE_JS)
            assert before["sliders"] >= 1 and before["handles"] == 1, before
            assert "FloatLogSlider(" not in before["text"], before["text"][:300]
            assert before["results"], f"no .explorer-result on the slide: {before}"
            assert before["images"], "no picture in the explorer on the slide"
            page.screenshot(path=str(shots / "rise-06-eta-slide.png"))

            # Drag the handle a little to the right, as a lecturer does with the mouse.
            handle = frame.locator(f"{_SLIDE} .eta-slider .noUi-handle").first
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 12, y, steps=4)
            page.mouse.up()
            try:
                after = frame.wait_for_function(_RESULT_CHANGED_JS, arg=before["results"],
                                                timeout=tb.WAIT_MS).json_value()
            except tb.PlaywrightTimeout:
                page.screenshot(path=str(shots / "rise-06-eta-not-moved.png"))
                raise AssertionError(f"the result on the slide did not change within "
                                     f"{tb.WAIT_MS / 1000:.0f} s of dragging the η slider: "
                                     f"{before['results']}") from None
            try:   # the plot arrives after the printed result
                frame.wait_for_function(_PLOT_CHANGED_JS, arg=before["images"], timeout=tb.WAIT_MS)
            except tb.PlaywrightTimeout:
                page.screenshot(path=str(shots / "rise-06-eta-plot-not-redrawn.png"))
                raise AssertionError("the result changed but the plot on the slide was not redrawn "
                                     f"within {tb.WAIT_MS / 1000:.0f} s") from None
            page.screenshot(path=str(shots / "rise-06-eta-moved.png"))
            assert frame.evaluate("() => location.hash") == before["hash"], "the slide changed"
            print(f"RISE slide {before['hash']}: {before['results'][0]!r} -> {after[0]!r}")
            assert not [c for c in console if "doesn't exist in shared scope" in c]
            assert not page.errors, f"errors in the page: {page.errors}"
        finally:
            with contextlib.suppress(tb.PlaywrightError):
                page.evaluate(tb._SHUTDOWN_SESSIONS_JS)
