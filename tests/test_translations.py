"""The Chinese edition is kept in step with the English one.

* every English markdown cell has a translation, made from its current text (the stored hash);
* a translation keeps the English formulas, code, links and tags;
* a Chinese notebook runs the English notebook's code, cell for cell (plus its language cell),
  and is what the build makes from the English notebook and the translation;
* what bp_lib shows a reader has a Chinese entry for every English string, with the same fields.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")   # with Chinese punctuation


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


T = _tool("translations")
BUILD = _tool("build_notebooks")
KEYS = _tool("i18n_keys")


# ------------------------------------------------------------------ the notebooks' text
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_every_markdown_cell_has_a_current_translation(path):
    assert T.problems("zh", path) == []


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_a_translation_keeps_the_formulas_code_and_links(path):
    assert T.lint("zh", path) == []


def test_an_english_edit_makes_its_translation_stale():
    path = ROOT / "solutions" / "05_l2_regularization.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown")
    cell.source += "\nOne more English sentence."
    found = T.problems("zh", path, nb)
    assert len(found) == 1 and f"cell {cell.id} is stale" in found[0]
    with pytest.raises(ValueError, match="stale"):
        T.translated(nb, "zh", path)


def test_a_new_cell_without_translation_and_a_todo_block_are_refused(tmp_path, monkeypatch):
    path = ROOT / "solutions" / "05_l2_regularization.ipynb"
    nb = nbformat.read(path, as_version=4)
    new = nbformat.v4.new_markdown_cell("A new paragraph.")
    new.id = "newcell1"
    nb.cells.append(new)
    found = T.problems("zh", path, nb)
    assert found == [f"translations/zh/{path.stem}.md: cell newcell1 has no translation"]
    # `update` appends the English as a TODO block: still refused until translated.
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / f"{path.stem}.md").write_text(
        T.path_for("zh", path).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(T, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(T, "ROOT", tmp_path)
    monkeypatch.setattr(nbformat, "read", lambda *a, **k: nb)
    assert T.update("zh", path) == 1
    found = T.problems("zh", path, nb)
    assert found == [f"zh/{path.stem}.md: cell newcell1 is marked TODO (not translated yet)"]


def test_lint_names_a_changed_formula_and_untranslated_text(tmp_path, monkeypatch):
    path = ROOT / "solutions" / "05_l2_regularization.ipynb"
    nb = nbformat.read(path, as_version=4)
    blocks = T.parse(T.path_for("zh", path))
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "$" in c.source)
    formula = sorted(T.untranslatable(cell.source)["inline formula"])[0]
    text = T.path_for("zh", path).read_text(encoding="utf-8")
    block = blocks[cell.id].text
    assert formula in block
    changed = text.replace(block, block.replace(formula, formula.replace("$", "$\\,", 1)))
    other = next(c for c in nb.cells if c.cell_type == "markdown" and c.id != cell.id
                 and "$" not in c.source and len(c.source) > 40)
    changed = changed.replace(blocks[other.id].text, other.source)      # left in English
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / f"{path.stem}.md").write_text(changed, encoding="utf-8")
    monkeypatch.setattr(T, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(T, "ROOT", tmp_path)
    found = T.lint("zh", path, nb)
    assert any(cell.id in f and "inline formula" in f and "missing or changed" in f for f in found)
    assert any(other.id in f and "no Chinese" in f for f in found)


def test_formulas_are_found_in_the_english():
    """The checks above compare something: the course's cells have formulas, code and links."""
    total = {}
    for path in SOLUTIONS:
        for cell in T.markdown_cells(nbformat.read(path, as_version=4)):
            for kind, items in T.untranslatable(cell.source).items():
                total[kind] = total.get(kind, 0) + len(items)
    assert total["inline formula"] > 1500 and total["display formula"] > 50
    assert total["code span"] > 200 and total["link target"] > 10


# ------------------------------------------------------------------ the generated notebooks
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_the_chinese_notebooks_are_what_the_build_makes(path):
    """Generated from the English solution and the translation; a hand edit is refused."""
    assert BUILD.stale(path, "zh") is None


@pytest.mark.parametrize("folder", ["solutions", "chapters"])
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_a_chinese_notebook_runs_the_english_code(path, folder):
    english = nbformat.read(ROOT / folder / path.name, as_version=4)
    chinese = nbformat.read(ROOT / folder / "zh" / path.name, as_version=4)
    first = chinese.cells[0]
    assert first.cell_type == "code" and first.metadata.tags == ["language"]
    assert first.source == T.LANGUAGE_CELL.format(lang="zh", note=T.LANGUAGE_NOTE["zh"])
    rest = chinese.cells[1:]
    assert [c.cell_type for c in rest] == [c.cell_type for c in english.cells]
    for en, zh in zip(english.cells, rest):
        assert en.id == zh.id
        if en.cell_type == "code":
            assert zh.source == en.source, f"code cell {en.id} differs from the English"
            same = {k: v for k, v in en.metadata.items() if k != "slideshow"}
            assert {k: v for k, v in zh.metadata.items() if k != "slideshow"} == same
        else:
            assert _HAN.search(zh.source) or not re.search(r"[A-Za-z]{4}", T._prose(en.source)), \
                f"markdown cell {en.id} has no Chinese"
    assert chinese.metadata.language == "zh"


def test_a_chinese_notebook_shows_chinese_check_messages():
    """The stored outputs of a Chinese learner's copy: its checks speak Chinese."""
    nb = nbformat.read(ROOT / "chapters" / "zh" / "03_output_delta.ipynb", as_version=4)
    verdicts = [o.get("text", "") or o.get("data", {}).get("text/plain", "")
                for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    verdicts = [v for v in verdicts if v.lstrip("'\"").startswith("✘")]
    assert verdicts, "no check verdicts in the learner's copy"
    assert all(_HAN.search(v) for v in verdicts), verdicts


# ------------------------------------------------------------------ what bp_lib shows
@pytest.fixture
def zh():
    import bp_lib

    bp_lib.set_language("zh")
    yield
    bp_lib.set_language("en")


def _catalogue():
    return json.loads((ROOT / "bp_lib" / "locale" / "zh.json").read_text(encoding="utf-8"))


def test_every_message_has_a_chinese_entry_with_the_same_fields():
    from bp_lib.i18n import FIELD

    table = _catalogue()
    keys = KEYS.keys()
    assert len(keys) > 150
    missing = [k for k in keys if k not in table]
    assert missing == [], f"{len(missing)} without a translation, e.g. {missing[:3]}"
    for english, chinese in table.items():
        assert sorted(FIELD.findall(english)) == sorted(FIELD.findall(chinese)), english
        if english != chinese and _CJK.search(chinese) is None:
            pytest.fail(f"{english!r} → {chinese!r}: no Chinese")


def _report_labels():
    """The labels of every ``report`` line the English chapters print."""
    found = set()
    for path in SOLUTIONS:
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                for line in out.get("text", "").splitlines():
                    m = re.match(r"^(.*): relative error \S+ \((agrees|DISAGREES)\)$", line)
                    if m:
                        found.add(m[1])
    return found


def test_every_check_label_the_chapters_print_is_translated():
    """gradcheck.report's first words are the notebook's own label: the Chinese edition shows
    them in Chinese, so every label printed in the English chapters has an entry."""
    from bp_lib import i18n

    labels = _report_labels()
    assert len(labels) > 80
    table = _catalogue()
    left = sorted(x for x in labels if i18n.translate_text(x, "zh") == x and x not in table)
    assert left == [], f"{len(left)} labels printed in English, e.g. {left[:5]}"


def test_the_key_finder_sees_the_messages_it_should():
    keys = KEYS.keys()
    assert "{where} should have {n} items; got {got}" in keys            # a tr("…") call
    assert any(k.startswith("the f'(z) factor is missing") for k in keys)  # a mistake's hint
    assert "your function raised {error}" in keys                          # an error template


def test_set_language_refuses_an_unknown_language():
    import bp_lib

    with pytest.raises(ValueError, match=r"language must be one of 'en', 'zh'; got 'fr'"):
        bp_lib.set_language("fr")
    assert bp_lib.get_language() == "en"


def test_a_check_names_the_mistake_in_chinese(zh):
    from bp_lib import activations
    from bp_lib.exercises import check

    def no_fprime(Z, A, Y):
        return A - Y

    result = check("output_delta_mse", no_fprime)
    assert not result and result.mistake == "fprime_dropped"
    assert "可能的错误" in result.message and _HAN.search(result.message)
    assert "∂ℓ/∂a" in result.message                         # the hint's math is kept

    def right(Z, A, Y):
        return (A - Y) * activations.sigmoid_derivative(Z)

    passed = check("output_delta_mse", right)
    assert passed and _HAN.search(passed.message)


def test_a_check_in_english_is_unchanged_by_the_catalogue():
    from bp_lib.exercises import check

    result = check("output_delta_mse", lambda Z, A, Y: A - Y)
    assert "Likely mistake — the f'(z) factor is missing" in result.message
    assert not _HAN.search(result.message)


def test_an_error_raised_by_the_answer_is_shown_in_chinese(zh):
    from bp_lib.exercises import check

    def broken(Z, A, Y):
        raise KeyError("oops")

    def unfinished(Z, A, Y):
        raise NotImplementedError()

    assert "你的函数" in check("output_delta_mse", broken).message
    assert "KeyError" in check("output_delta_mse", broken).message
    assert "NotImplementedError" in check("output_delta_mse", unfinished).message
    assert _HAN.search(check("output_delta_mse", unfinished).message)


def test_figure_words_are_translated_and_math_kept(zh):
    import matplotlib.pyplot as plt

    from bp_lib import i18n, plots

    fig = plots.draw_network([3, 5, 2]).figure
    fig.canvas.draw()                                   # the translation happens when drawn
    texts = [t.get_text() for t in fig.findobj(plt.Text) if t.get_text()]
    plt.close(fig)
    worded = [t for t in texts if re.search(r"[A-Za-z]{3}", i18n._MATH.sub("", t))]
    assert not worded, f"English left in the figure: {worded}"
    assert any(_HAN.search(t) for t in texts)
    assert any("$a^{(0)}$" in t for t in texts)        # the math of a label is kept


def test_without_a_cjk_font_figures_keep_their_english_words(monkeypatch):
    """No boxes and no warnings on a machine with no Chinese font: the words stay English."""
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt

    import bp_lib
    from bp_lib import i18n, plots

    before = list(matplotlib.rcParams["font.family"])
    monkeypatch.setattr(i18n, "CJK_FONTS", ("No Such Font SC",))
    bp_lib.set_language("zh")
    try:
        fig = plots.draw_network([3, 5, 2]).figure
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fig.canvas.draw()
        texts = " ".join(t.get_text() for t in fig.findobj(plt.Text))
        plt.close(fig)
        assert "units" in texts and not _HAN.search(texts)
        assert _HAN.search(i18n.tr("the result"))          # messages are still Chinese
    finally:
        bp_lib.set_language("en")
    assert list(matplotlib.rcParams["font.family"]) == before


def test_english_again_restores_the_figure_font(zh):
    import matplotlib

    import bp_lib

    assert "Noto Sans CJK SC" in matplotlib.rcParams["font.family"][0]
    bp_lib.set_language("en")
    assert "Noto Sans CJK SC" not in matplotlib.rcParams["font.family"]


def test_tick_labels_given_as_text_are_translated(zh):
    """Tick labels are made while the figure is drawn, from the axis's formatter."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_xticks([0, 1], ["class 0 (true)", "class 1"])
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    plt.close(fig)
    assert all(_HAN.search(t) for t in labels) and "0" in labels[0], labels


def test_a_template_translates_a_figure_string_with_numbers(zh):
    from bp_lib import i18n

    out = i18n.translate_text("η = 0.5, the same 1200 examples seen")
    assert _HAN.search(out) and "0.5" in out and "1200" in out


def test_figures_stay_english_in_english():
    import matplotlib.pyplot as plt

    from bp_lib import plots

    fig = plots.draw_network([3, 5, 2]).figure
    fig.canvas.draw()
    texts = " ".join(t.get_text() for t in fig.findobj(plt.Text))
    plt.close(fig)
    assert "units" in texts and not _HAN.search(texts)


def test_widget_labels_are_translated(zh):
    from bp_lib import Network
    from bp_lib.widgets import delta_stepper

    net = Network([3, 4, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(4, 3))
    Y = np.eye(2)[[0, 1, 0, 1]]
    widget = delta_stepper(net, X, Y)
    buttons = [w for w in widget.children[0].children if hasattr(w, "description")]
    labels = [w.description for w in buttons]
    assert all(_HAN.search(d) for d in labels if re.search(r"[A-Za-z]{3}", d) or _HAN.search(d))
    assert any(_HAN.search(d) for d in labels)


def test_a_divergence_message_is_translated(zh):
    from bp_lib.training import History, divergence_message

    h = History(eta=50.0, lam=0.0, batch_size=None)
    msg = divergence_message(h, 3, float("nan"), 1e9, 100)
    assert _HAN.search(msg) and "50" in msg and "3" in msg
