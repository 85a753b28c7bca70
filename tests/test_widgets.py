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


@pytest.mark.parametrize("eta", [*_ends(*E.ETA_RANGE), 0.3, 3.0])
def test_eta_view_over_the_slider(eta):
    view = E.eta_view(eta)
    assert view.values["eta"] == eta
    assert view.text.startswith(f"η = {eta:.3g}: ")
    assert _drew_something(view.figure)
    h = view.values["history"]
    if h.diverged:
        assert view.text.count("diverged at epoch") == 1
        assert "too large" in view.text
    else:
        assert np.isfinite(view.values["final_cost"])
        assert f"final cost {h.cost[-1]:.4f}" in view.text
    assert len(_png(view.figure)) > 1000


def test_eta_view_reports_divergence_in_words():
    view = E.eta_view(E.ETA_RANGE[1])
    assert view.values["diverged"]
    assert view.text.startswith(f"η = {E.ETA_RANGE[1]:.3g}: diverged at epoch ")
    assert f"epoch {view.values['epochs_run']}" in view.text
    # the figure still shows the data and says what happened
    assert _drew_something(view.figure)
    assert any("diverged" in t.get_text() for ax in view.figure.axes for t in ax.texts)
    plt.close(view.figure)


def test_eta_view_small_eta_is_called_slow():
    view = E.eta_view(E.ETA_RANGE[0])
    assert not view.values["diverged"]
    assert "too small" in view.text
    plt.close(view.figure)


@pytest.mark.parametrize("lam", [0.0, *_ends(*E.LAM_RANGE)])
@pytest.mark.parametrize("eta", _ends(*E.LAM_ETA_RANGE))
def test_lambda_view_over_the_sliders(lam, eta):
    view = E.lambda_view(lam, eta)
    assert view.text.startswith(f"λ = {lam:.3g}, η = {eta:.3g}: ")
    assert _drew_something(view.figure)
    if view.values["diverged"]:
        assert "diverged at epoch" in view.text
    else:
        assert np.isfinite(view.values["val_loss"])
        assert f"validation loss {view.values['val_loss']:.3f}" in view.text
    assert len(_png(view.figure)) > 1000


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


@pytest.mark.parametrize("eta", _ends(*E.MODE_ETA_RANGE))
@pytest.mark.parametrize("batch_size", [E.MODE_BATCH_RANGE[0], 10, E.MODE_BATCH_RANGE[1]])
def test_batch_mode_view_over_the_sliders(eta, batch_size):
    view = E.batch_mode_view(eta, batch_size)
    n = len(E.batch_mode_data()[0])
    full, mini, single = view.values["histories"]
    assert full.examples_seen[-1] == mini.examples_seen[-1] == single.examples_seen[-1] \
        == E.MODE_EPOCHS * n
    assert view.values["steps"] == [E.MODE_EPOCHS, E.MODE_EPOCHS * -(-n // batch_size),
                                    E.MODE_EPOCHS * n]
    assert view.text.startswith(f"η = {eta:.3g}, after {E.MODE_EPOCHS * n} examples")
    assert _drew_something(view.figure)
    assert len(_png(view.figure)) > 1000


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
    (out,) = _find(box, "explorer-plot")
    assert isinstance(result, widgets.HTML)
    assert isinstance(out, widgets.Output)
    first = result.value
    assert first
    for css in classes:
        (slider,) = _find(box, css)
        assert slider.continuous_update is False
        if css in ("eta-slider", "lam-slider"):
            assert isinstance(slider, widgets.FloatLogSlider)
        before = result.value
        slider.value = slider.max if css == "batch-slider" else 10 ** slider.max   # an extreme
        assert result.value != before, f"{css}: the printed result did not change"
    plt.close("all")


def test_static_eta_grid_has_every_regime():
    fig, histories = E.eta_grid()
    plt.close(fig)
    words = [E.describe_eta_run(h) for h in histories]
    assert "too small" in words[0]
    assert "fell steadily" in words[1]
    assert "zig-zag" in words[2]
    assert histories[3].diverged and words[3].startswith("diverged at epoch")
