"""The η, λ and batch-mode explorers: their view functions over grids of slider values
(both ends of every slider included), and the widgets' callbacks without a browser."""

from __future__ import annotations

import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from bp_lib.widgets import explorers as E

matplotlib.use("Agg")


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _drew_something(fig):
    """At least one axes holds lines, collections, images or text — never a blank figure."""
    return any(ax.lines or ax.collections or ax.images or ax.patches or ax.texts
               for ax in fig.axes)


def _ends(lo, hi):
    return [lo, float(np.sqrt(lo * hi)), hi]


def _positions(lo, hi, k):
    """k positions of a log slider from end to end, on its 0.1-decade steps."""
    return [float(10 ** round(x, 1)) for x in np.linspace(np.log10(lo), np.log10(hi), k)]


def _rendered(view):
    """Render the view's figure to PNG the way the widget does, decode it, and check that
    every axes shows something in its own pixels (not a blank or a crashed figure)."""
    fig = view.figure
    fig.canvas.draw()
    boxes = [ax.get_window_extent() for ax in fig.axes]
    png = E.figure_png(fig)                            # what the widget sends; closes fig
    image = plt.imread(io.BytesIO(png))
    height = image.shape[0]
    for box in boxes:
        y0, y1 = int(height - box.y1), int(height - box.y0)
        patch = image[max(y0, 0) + 2:y1 - 2, int(box.x0) + 2:int(box.x1) - 2, :3]
        assert patch.size and patch.std() > 0.02, "an axes of the rendered figure is blank"
    return png


def _one_sentence(text):
    assert text.count("iverged") <= 1, text
    assert "eta=" not in text and "Training stopped" not in text, text
    assert text.count(". ") == 0, text                            # one sentence, no second one


@pytest.mark.parametrize("eta", [*_positions(*E.ETA_RANGE, 8), 0.3, 0.5, 3.0])
def test_eta_view_over_the_slider(eta):
    view = E.eta_view(eta)
    assert view.values["eta"] == eta
    _one_sentence(view.text)
    h = view.values["history"]
    if h.diverged:
        assert view.text.startswith(f"Diverged at epoch {h.epochs_run}: ")
        assert f"η = {eta:.3g} is too large" in view.text
    else:
        assert view.text.startswith(f"η = {eta:.3g}: ")
        assert np.isfinite(view.values["final_cost"])
        assert f"final cost {h.cost[-1]:.4f}" in view.text
    assert len(_rendered(view)) > 1000


def test_eta_view_reports_divergence_in_words():
    view = E.eta_view(E.ETA_RANGE[1])
    assert view.values["diverged"]
    assert view.text.startswith(f"Diverged at epoch {view.values['epochs_run']}: ")
    # the figure still shows the data and says what happened
    assert any("diverged" in t.get_text() for ax in view.figure.axes for t in ax.texts)
    _rendered(view)


def test_eta_view_small_eta_is_called_slow():
    view = E.eta_view(E.ETA_RANGE[0])
    assert not view.values["diverged"]
    assert "too small" in view.text
    plt.close(view.figure)


LAM_POINTS = sorted({(lam, eta) for lam in [0.0, *_positions(*E.LAM_RANGE, 6)]
                     for eta in _positions(*E.LAM_ETA_RANGE, 5)}
                    | {(31.6, 3.16), (50.1, 3.16), (100.0, 1.0)})   # crashed before issue 17


@pytest.mark.parametrize("lam,eta", LAM_POINTS)
def test_lambda_view_over_the_sliders(lam, eta):
    """Every corner of the λ × η square and a grid inside it: the figure renders, and a run
    whose weights explode is called diverged in one sentence."""
    view = E.lambda_view(lam, eta)
    _one_sentence(view.text)
    h = view.values["history"]
    n = len(E.lambda_data()[0])
    if view.values["diverged"]:
        assert view.text.startswith(f"Diverged at epoch {h.epochs_run}: ")
        if eta * lam / n > 2:
            assert "1 − ηλ/n" in view.text
        texts = [t.get_text() for ax in view.figure.axes for t in ax.texts]
        assert any("diverged" in t for t in texts)
    else:
        assert view.text.startswith(f"λ = {lam:.3g}, η = {eta:.3g}: ")
        assert np.isfinite(view.values["val_loss"]) and view.values["train_loss"] < 10
        assert view.values["weight_norm"] < 1e3
        assert f"validation loss {view.values['val_loss']:.3f}" in view.text
    if eta * lam / n > 2.2:
        assert view.values["diverged"], f"1 − ηλ/n = {1 - eta * lam / n:.2f} and no divergence"
    assert len(_rendered(view)) > 1000


def test_lambda_shrinks_weights_and_narrows_the_gap():
    small = E.lambda_view(0.0, 1.0).values
    mid = E.lambda_view(1.0, 1.0).values
    plt.close("all")
    assert mid["weight_norm"] < 0.5 * small["weight_norm"]
    assert small["train_loss"] < mid["train_loss"]          # λ = 0 fits the 40 points closer …
    assert mid["val_loss"] < small["val_loss"]              # … and generalises worse


def test_lambda_view_reports_a_flipping_decay_factor():
    """η λ / n > 2 makes the decay factor 1 − ηλ/n < −1: the weights grow and the run diverges."""
    n = len(E.lambda_data()[0])
    lam, eta = E.LAM_RANGE[1], E.LAM_ETA_RANGE[1]
    assert eta * lam / n > 2
    view = E.lambda_view(lam, eta)
    assert view.values["diverged"]
    assert "1 − ηλ/n" in view.text
    assert _drew_something(view.figure)
    plt.close(view.figure)


@pytest.mark.parametrize("eta", _positions(*E.MODE_ETA_RANGE, 4))
@pytest.mark.parametrize("batch_size", [E.MODE_BATCH_RANGE[0], 10, E.MODE_BATCH_RANGE[1]])
def test_batch_mode_view_over_the_sliders(eta, batch_size):
    view = E.batch_mode_view(eta, batch_size)
    n = len(E.batch_mode_data()[0])
    full, mini, single = view.values["histories"]
    assert full.examples_seen[-1] == mini.examples_seen[-1] == single.examples_seen[-1] \
        == E.MODE_EPOCHS * n
    assert view.values["steps"][0] == E.MODE_EPOCHS
    assert view.text.startswith(f"η = {eta:.3g}, after {E.MODE_EPOCHS * n} examples")
    assert view.text.count("η = ") <= 2 and "eta=" not in view.text
    assert len(_rendered(view)) > 1000


def test_views_are_deterministic():
    a, b = E.eta_view(0.3), E.eta_view(0.3)
    plt.close("all")
    assert a.text == b.text
    assert a.values["history"].cost == b.values["history"].cost


def test_views_reject_bad_slider_values():
    with pytest.raises(ValueError, match="eta"):
        E.eta_view(0.0)
    with pytest.raises(ValueError, match="lam"):
        E.lambda_view(-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        E.batch_mode_view(0.5, 1000)


# ------------------------------------------------------------------ the widgets
def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def _find(box, css):
    return [w for w in _walk(box) if css in getattr(w, "_dom_classes", ())]


@pytest.mark.parametrize("factory,classes", [
    (E.eta_explorer, ["eta-slider"]),
    (E.lambda_explorer, ["lam-slider", "eta-slider"]),
    (E.batch_mode_explorer, ["eta-slider", "batch-slider"]),
])
def test_explorer_widget_contract_and_callback(factory, classes):
    import ipywidgets as widgets

    box = factory()
    (result,) = _find(box, "explorer-result")
    (picture,) = _find(box, "explorer-plot")
    assert isinstance(result, widgets.HTML)
    assert isinstance(picture, widgets.Image) and picture.value[:8] == b"\x89PNG\r\n\x1a\n"
    first = result.value
    assert first
    for css in classes:
        (slider,) = _find(box, css)
        assert slider.continuous_update is False
        if css in ("eta-slider", "lam-slider"):
            assert isinstance(slider, widgets.FloatLogSlider)
        before, shown = result.value, picture.value
        slider.value = slider.max if css == "batch-slider" else 10 ** slider.max   # an extreme
        assert result.value != before, f"{css}: the printed result did not change"
        assert picture.value != shown, f"{css}: the picture did not change"
    plt.close("all")


def test_static_eta_grid_has_every_regime():
    fig, histories = E.eta_grid()
    plt.close(fig)
    words = [E.describe_eta_run(h) for h in histories]
    assert "too small" in words[0]
    assert "fell steadily" in words[1]
    assert "zig-zag" in words[2]
    assert histories[3].diverged and words[3].startswith("Diverged at epoch")


# ------------------------------------------------------------------ the δ stepper
def _stepper_parts():
    import bp_lib
    from bp_lib.widgets import stepper as S

    net = bp_lib.Network([3, 5, 4, 2], hidden="sigmoid", output="sigmoid", loss="mse", seed=0)
    X = np.random.default_rng(0).normal(size=(4, 3))
    Y = np.random.default_rng(1).random((4, 2))
    box = S.delta_stepper(net, X, Y)
    slider = _find(box, "stepper-slider")[0]
    (picture,) = _find(box, "stepper-plot")
    (prev_button,) = _find(box, "stepper-prev")
    (next_button,) = _find(box, "stepper-next")
    return S, slider, picture, prev_button, next_button


def test_stepper_buttons_show_the_picture_of_their_step():
    S, slider, picture, prev_button, next_button = _stepper_parts()
    assert picture.value == S.reference_png(0)
    for expected in (1, 2, 3, 2):
        (next_button if expected > slider.value else prev_button).click()
        assert slider.value == expected
        assert picture.value == S.reference_png(expected), f"step {expected}: wrong picture"
    for _ in range(10):
        prev_button.click()
    assert slider.value == 0 and picture.value == S.reference_png(0)


def test_stepper_buttons_and_slider_on_two_threads_end_on_the_right_picture():
    """ipykernel 7 may run a button's callback on the main thread while a slider message is
    handled on a subshell thread: the last picture must still be the last step's."""
    import threading

    S, slider, picture, prev_button, next_button = _stepper_parts()
    last = slider.max

    def click():
        for _ in range(6):
            next_button.click()
            prev_button.click()

    def drag():
        for k in (last, 1, last - 1, 2):
            slider.value = k

    threads = [threading.Thread(target=f) for f in (click, drag, click)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert picture.value == S.reference_png(slider.value)
    plt.close("all")
