r"""Live explorers for chapters 5 and 6: the learning rate η, the L2 strength λ, and the
three batch modes.

Each explorer is two layers:

* a **view** — a plain function (:func:`eta_view`, :func:`lambda_view`,
  :func:`batch_mode_view`) that retrains a small network from scratch for
  the given slider values and returns a :class:`View`: the matplotlib
  ``Figure`` it drew, the sentence it prints, and the numbers behind both.
  Tests and the benchmark call these directly, for any value of any slider;
* a **widget** — :func:`eta_explorer`, :func:`lambda_explorer`,
  :func:`batch_mode_explorer` — sliders (``continuous_update=False``, so the
  kernel retrains once per release, not once per pixel of a drag), an HTML
  line with the printed result, and an ``Image`` that shows the figure as PNG.

The problems are kept small so that one slider change — retraining included —
redraws in a fraction of a second (``benchmarks/bench_widgets.py`` measures it).
A run whose cost becomes infinite is reported in words (the
:class:`bp_lib.History`'s ``message``), never as an error or an empty plot.

CSS classes, for a browser test: the η sliders carry ``eta-slider``, the λ
slider ``lam-slider``, the batch-size slider ``batch-slider``, the printed
result ``explorer-result``, the figure (an ``ipywidgets.Image``) ``explorer-plot``.
"""

from __future__ import annotations

import html
import io
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from .. import _validate as v
from ..i18n import tr
from ..plots.core import check_history, check_network
from .. import datasets
from ..network import Network
from ..plots.core import plot_decision_boundary
from ..plots.training import (plot_batch_modes, plot_cost_curves, plot_train_val,
                              plot_validation_points, plot_weight_sizes)
from ..training import train


@dataclass
class View:
    """What a view function drew: the ``figure``, the ``text`` printed under the
    sliders, and the ``values`` behind them (final costs, epochs run, …)."""

    figure: object
    text: str
    values: dict = field(default_factory=dict)


def _plain_log_axis(ax):
    """Label a log y axis with plain numbers and no minor ticks: mathtext tick labels
    (``10^{-2}``) and dozens of minor ticks are what makes a redraw slow, and they say
    no more."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_locator(NullLocator())


def _one_blas_thread():
    """A context in which numpy's BLAS uses one thread: these matrices are tiny, and a
    second thread only adds hand-over costs (and loses badly on a busy machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                      # threadpoolctl comes with scikit-learn
        from contextlib import nullcontext
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


# ====================================================================== η
#: The η explorer's problem: fit a wiggly curve with a [1, 16, 16, 1] tanh
#: network and a linear output under the squared error.  The squared error's
#: gradient grows with the error, so a too-large η really blows up (the weights
#: grow geometrically, :data:`bp_lib.training.DIVERGENCE_LIMIT`).  With a sigmoid
#: or softmax output and cross-entropy only the output layer's δ = a − y is
#: bounded; hidden gradients still grow with the weights, but slowly, so such a
#: run thrashes rather than explodes.
ETA_SIZES = (1, 16, 16, 1)
ETA_EPOCHS = 200
ETA_RANGE = (1e-4, 10 ** 1.5)     # the η slider's ends
ETA_GOOD = 0.3                    # a learning rate that works well here (the default)


@lru_cache(maxsize=None)
def eta_data():
    """40 noisy samples of :math:`y = \\sin(1.5x)` on [−2, 2]: ``X`` (40, 1), ``Y`` (40, 1)."""
    rng = np.random.default_rng(3)
    X = np.sort(rng.uniform(-2.0, 2.0, 40))[:, None]
    Y = np.sin(1.5 * X) + 0.1 * rng.standard_normal(X.shape)
    return _frozen(X, Y)


def eta_run(eta, epochs=ETA_EPOCHS):
    """Train the η explorer's network (full batch, seed 0) at learning rate ``eta``;
    return ``(net, history)``."""
    X, Y = eta_data()
    net = Network(list(ETA_SIZES), hidden="tanh", output="identity", loss="mse", seed=0)
    with _one_blas_thread():
        return net, train(net, X, Y, eta=eta, epochs=epochs)


@lru_cache(maxsize=None)
def _best_eta_cost(epochs):
    return float(eta_run(ETA_GOOD, epochs)[1].cost[-1])


def describe_eta_run(history):
    """One sentence on how a run went: diverged, went up, zig-zagged, too slow, or good."""
    check_history(history)
    c0, c = history.cost[0], history.cost[-1]
    if history.diverged:
        return history.message
    rises = int(np.sum(np.diff(history.cost) > 0))
    best = _best_eta_cost(history.epochs_run)
    text = tr("final cost {cost} after {epochs} epochs (started at {start})", cost=f"{c:.4f}",
              epochs=history.epochs_run, start=f"{c0:.4f}")
    if c > c0:
        return text + tr(" — the cost went up: η is too large, each step overshoots.")
    if rises > 0.05 * history.epochs_run:
        return text + tr(" — the cost rose in {rises} of {epochs} epochs: η is large enough to "
                         "overshoot and zig-zag.", rises=rises, epochs=history.epochs_run)
    if c > 3 * best:
        return text + tr(" — still far above the {best} that η = {good} reaches: η is too small "
                         "for this many epochs.", best=f"{best:.4f}", good=f"{ETA_GOOD:g}")
    return text + tr(" — the cost fell steadily.")


def eta_view(eta, *, epochs=ETA_EPOCHS):
    """Retrain at learning rate ``eta`` and draw the cost curve beside the fitted curve.

    Returns a :class:`View`; ``values`` holds ``eta``, ``final_cost``,
    ``epochs_run``, ``diverged`` and the ``history``.
    """
    eta = v.real(eta, "eta", low=0.0, low_inclusive=False)
    net, history = eta_run(eta, epochs)
    # A divergence message names η itself: no prefix, so nothing is said twice.
    text = describe_eta_run(history) if history.diverged else \
        tr("η = {eta}: ", eta=f"{eta:.3g}") + describe_eta_run(history)
    X, Y = eta_data()
    fig, (ax_cost, ax_fit) = plt.subplots(1, 2, figsize=(8.4, 3.0))
    plot_cost_curves([history], ax_cost, ymax=30.0 * history.cost[0])
    ax_cost.legend(fontsize=8, loc="upper right")
    ax_cost.set_xlim(0, epochs)
    ax_cost.set_title("cost J against epochs", fontsize=10)
    ax_fit.scatter(X[:, 0], Y[:, 0], s=12, color="k", label="data", zorder=3)
    if history.diverged:
        ax_fit.text(0.5, 0.5, f"diverged at epoch {history.epochs_run}:\nthe weights\n"
                    "became infinite", transform=ax_fit.transAxes, ha="center", va="center",
                    color="#c44e52", fontsize=11)
    else:
        grid = np.linspace(-2.2, 2.2, 120)[:, None]
        ax_fit.plot(grid[:, 0], net.forward(grid)[:, 0], color="#4c72b0",
                    label="network after training")
    ax_fit.set_ylim(-1.8, 1.8)
    ax_fit.set_title("the fit", fontsize=10)
    ax_fit.legend(fontsize=8, loc="lower right")
    _plain_log_axis(ax_cost)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.9, wspace=0.22)
    values = dict(eta=eta, final_cost=float(history.cost[-1]), epochs_run=history.epochs_run,
                  diverged=history.diverged, history=history)
    return View(fig, text, values)


def eta_grid(etas=(0.003, 0.3, 0.5, 3.0), *, epochs=ETA_EPOCHS):
    """The static figure of the η explorer: one cost curve per η on one axes — by default
    too small, good, too large (zig-zag) and divergent.

    Returns ``(figure, histories)``.
    """
    histories = [eta_run(eta, epochs)[1] for eta in etas]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    plot_cost_curves(histories, ax)
    ax.set_xlim(0, epochs)
    ax.set_title(f"the same network and data, {len(etas)} learning rates", fontsize=10)
    fig.tight_layout()
    return fig, histories


# ====================================================================== λ
#: The λ explorer's problem: 40 noisy two-moons points and a [2, 30, 30, 1]
#: tanh network with a sigmoid output — big enough to draw a boundary around
#: every training point — trained full batch for 300 epochs; 200 fresh
#: points from the same distribution are the validation set.
LAM_SIZES = (2, 30, 30, 1)
LAM_EPOCHS = 300
LAM_RANGE = (1e-3, 100.0)         # the λ slider's ends
LAM_ETA_RANGE = (10 ** -1.5, 10 ** 0.5)


@lru_cache(maxsize=None)
def lambda_data():
    """``X, Y, X_val, Y_val``: 40 training and 200 validation points of noisy two moons."""
    X, Y = datasets.moons(m=40, noise=0.35, seed=1)
    X_val, Y_val = datasets.moons(m=200, noise=0.35, seed=2)
    return _frozen(X, Y, X_val, Y_val)


def lambda_run(lam, eta=1.0, epochs=LAM_EPOCHS):
    """Train the λ explorer's network (full batch, seed 0); return ``(net, history)``
    with training and validation loss recorded."""
    X, Y, X_val, Y_val = lambda_data()
    net = Network(list(LAM_SIZES), hidden="tanh", output="sigmoid", loss="cross_entropy", seed=0)
    with _one_blas_thread():
        history = train(net, X, Y, eta=eta, lam=lam, epochs=epochs, X_val=X_val, Y_val=Y_val)
    return net, history


def describe_lambda_run(net, history):
    """One sentence: the losses and the weight size, or (diverged) the History's message,
    which names the weight-decay factor 1 − ηλ/n when that is what blew up."""
    if history.diverged:
        return history.message
    norm = float(np.sqrt(sum(np.sum(W * W) for W in net.weights)))
    return tr("after {epochs} epochs: training loss {train}, validation loss {val}, weight size "
              "‖W‖ = {norm}", epochs=history.epochs_run, train=f"{history.loss[-1]:.3f}",
              val=f"{history.val_loss[-1]:.3f}", norm=f"{norm:.2f}")


def lambda_view(lam, eta=1.0, *, epochs=LAM_EPOCHS, resolution=60):
    """Retrain with L2 strength ``lam`` and learning rate ``eta``; draw the decision
    boundary, training vs validation loss, and each layer's weight size.

    Returns a :class:`View`; ``values`` holds ``lam``, ``eta``, ``train_loss``,
    ``val_loss``, ``weight_norm``, ``diverged`` and the ``history``.
    """
    lam = v.real(lam, "lam", low=0.0)
    eta = v.real(eta, "eta", low=0.0, low_inclusive=False)
    resolution = v.integer(resolution, "resolution", low=2)
    net, history = lambda_run(lam, eta, epochs)
    X, Y, X_val, Y_val = lambda_data()
    text = describe_lambda_run(net, history) if history.diverged else \
        tr("λ = {lam}, η = {eta}: ", lam=f"{lam:.3g}", eta=f"{eta:.3g}") + \
        describe_lambda_run(net, history)
    fig, (ax_b, ax_c, ax_w) = plt.subplots(1, 3, figsize=(10.2, 3.1),
                                           gridspec_kw={"width_ratios": [1.0, 1.35, 0.8]})
    if history.diverged:
        ax_b.set_title(f"λ = {lam:.3g}, η = {eta:.3g}", fontsize=10)
        for ax in (ax_b, ax_w):
            ax.text(0.5, 0.5, f"diverged at\nepoch {history.epochs_run}", ha="center",
                    va="center", color="#c44e52", fontsize=11, transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        plot_cost_curves([history], ax_c)
        ax_c.set_title("cost J (diverged)", fontsize=10)
        weight_norm = float("inf")
    else:
        plot_decision_boundary(net, X, Y, ax_b, resolution=resolution,
                               title=f"λ = {lam:.3g}, η = {eta:.3g} (hollow: validation)")
        lims = ax_b.get_xlim(), ax_b.get_ylim()
        plot_validation_points(X_val, Y_val, ax_b)
        ax_b.set_xlim(*lims[0])
        ax_b.set_ylim(*lims[1])
        plot_train_val(history, ax_c, title="loss without the L2 term")
        ax_c.set_ylim(2e-3, 5.0)
        tallest = max(float(np.linalg.norm(W)) for W in net.weights)
        plot_weight_sizes(net.weights, ax_w, ymax=max(16.0, 1.3 * tallest),   # room for labels
                          bare=True)                                           # no ticks: faster
        ax_w.set_title("weight sizes ‖W⁽ˡ⁾‖", fontsize=10)
        weight_norm = float(np.sqrt(sum(np.sum(W * W) for W in net.weights)))
    _plain_log_axis(ax_c)
    fig.subplots_adjust(left=0.02, right=0.99, bottom=0.16, top=0.9, wspace=0.3)
    values = dict(lam=lam, eta=eta, diverged=history.diverged, history=history,
                  train_loss=history.loss[-1] if not history.diverged else float("inf"),
                  val_loss=history.val_loss[-1] if not history.diverged else float("inf"),
                  weight_norm=weight_norm)
    return View(fig, text, values)


# ============================================================= batch modes
#: The batch-mode explorer's problem: 60 two-moons points, a [2, 8, 1]
#: tanh network with a sigmoid output, 20 epochs in each mode (so every mode
#: sees the same 1200 examples).
MODE_SIZES = (2, 8, 1)
MODE_EPOCHS = 20
MODE_ETA_RANGE = (1e-2, 10.0)
MODE_BATCH_RANGE = (2, 50)


@lru_cache(maxsize=None)
def batch_mode_data():
    """``X, Y``: 60 two-moons points with noise 0.2."""
    return _frozen(*datasets.moons(m=60, noise=0.2, seed=0))


def batch_mode_runs(eta=0.5, batch_size=10, epochs=MODE_EPOCHS):
    """Train the same initial network in the three modes; return the three histories
    (full batch, mini-batch of ``batch_size``, single sample) and their times in seconds."""
    import time

    X, Y = batch_mode_data()
    histories, seconds = [], []
    warm_up = Network(list(MODE_SIZES), hidden="tanh", output="sigmoid", loss="cross_entropy")
    train(warm_up, X, Y, eta=eta, epochs=1)      # so the first timed mode pays no first-call costs
    for bs in (None, batch_size, 1):
        net = Network(list(MODE_SIZES), hidden="tanh", output="sigmoid", loss="cross_entropy",
                      seed=0)
        t0 = time.perf_counter()
        with _one_blas_thread():
            histories.append(train(net, X, Y, eta=eta, epochs=epochs, batch_size=bs, seed=0))
        seconds.append(time.perf_counter() - t0)
    return histories, seconds


def batch_mode_view(eta=0.5, batch_size=10, *, epochs=MODE_EPOCHS):
    """Retrain in the three modes at an equal number of examples seen and draw cost
    against examples seen, and the time each mode took.

    Returns a :class:`View`; ``values`` holds ``final_costs`` (full, mini, single),
    ``steps``, ``seconds`` and the ``histories``.
    """
    eta = v.real(eta, "eta", low=0.0, low_inclusive=False)
    n = len(batch_mode_data()[0])
    batch_size = v.integer(batch_size, "batch_size", low=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most {n}; got {batch_size}")
    histories, seconds = batch_mode_runs(eta, batch_size, epochs)
    fig, (ax, ax_t) = plt.subplots(1, 2, figsize=(8.6, 3.1),
                                   gridspec_kw={"width_ratios": [1.8, 1.0]})
    plot_batch_modes(histories, ax)
    ax.set_title(f"η = {eta:.3g}, the same {epochs * n} examples seen", fontsize=10)
    names = ["full\nbatch", f"mini-batch\nof {batch_size}", "single\nsample"]
    colours = ["#4c72b0", "#55a868", "#c44e52"]
    per_epoch = [1e3 * s / epochs for s in seconds]
    ax_t.bar(range(3), per_epoch, color=colours)
    top = 1.2 * max(per_epoch)
    ax_t.set_ylim(0, top)
    for x, (name, ms) in enumerate(zip(names, per_epoch)):     # text, not ticks: faster
        ax_t.text(x, ms, f"{ms:.2f}", ha="center", va="bottom", fontsize=8)
        ax_t.text(x, -0.02 * top, name, ha="center", va="top", fontsize=8)
    ax_t.set_xticks([])
    ax_t.set_yticks([])
    ax_t.set_title("milliseconds per epoch\n(this machine, this run)", fontsize=9)
    fig.subplots_adjust(left=0.08, right=0.99, bottom=0.2, top=0.9, wspace=0.3)
    parts = []
    for label, h in zip((tr("full batch"), tr("mini-batch of {size}", size=batch_size),
                         tr("single sample")), histories):
        if h.diverged:
            parts.append(tr("{label}: diverged at epoch {epoch}", label=label, epoch=h.epochs_run))
        else:
            parts.append(tr("{label}: cost {cost} ({steps} steps)", label=label,
                            cost=f"{h.cost[-1]:.3f}", steps=h.steps))
    text = tr("η = {eta}, after {n} examples — ", eta=f"{eta:.3g}", n=epochs * n) + \
        tr("; ").join(parts)
    if any(h.diverged for h in histories):
        text += tr(" — η = {eta} is too large for this network and data: try a value several "
                   "times smaller", eta=f"{eta:.3g}")
    values = dict(eta=eta, batch_size=batch_size, histories=histories, seconds=seconds,
                  final_costs=[float(h.cost[-1]) for h in histories],
                  steps=[h.steps for h in histories],
                  diverged=[h.diverged for h in histories])
    return View(fig, text, values)


# ================================================================ widgets
#: Serialises every redraw of every widget: pyplot's figure registry is not thread-safe, and
#: ipykernel 7 may run a widget's callbacks on the main thread and on a subshell thread.
DRAW_LOCK = threading.RLock()
#: Resolution of the PNGs the widgets send (the inline backend's default).
DPI = 100


def figure_png(fig, dpi=DPI):
    """Render ``fig`` to PNG bytes once (fixed margins, no ``bbox_inches="tight"`` second
    layout pass) and close it: what a widget shows."""
    from matplotlib.figure import Figure
    v.instance(fig, "fig", Figure, "a matplotlib Figure")
    dpi = v.real(dpi, "dpi", low=0.0, low_inclusive=False)
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _explorer(sliders, view_fn):
    """Sliders + printed result + picture, redrawn by ``view_fn(**values)`` on every change.

    The picture is an ``ipywidgets.Image`` whose PNG bytes are replaced in one assignment:
    no ``Output`` capture, which is tied to the thread and message that opened it, and no
    second layout pass of the inline backend.  A position the sliders come back to is shown
    from a cache of the last 64 pictures (the same values always draw the same picture), and
    after each move the next position in the same direction is drawn ahead.
    """
    import ipywidgets as widgets

    result = widgets.HTML(layout=widgets.Layout(min_height="2.5em"))
    result.add_class("explorer-result")
    picture = widgets.Image(format="png")
    picture.add_class("explorer-plot")

    drawn = {}              # slider values -> (text, PNG): the views are deterministic

    def draw(values):
        key = tuple(float(f"{v:.10g}") for v in values.values())   # JS and Python powers differ
        if key not in drawn:                                          # in the last digit
            view = view_fn(**values)
            if len(drawn) >= 64:
                drawn.pop(next(iter(drawn)))
            drawn[key] = (view.text, figure_png(view.figure))
        return drawn[key]

    def redraw(change=None):
        with DRAW_LOCK:                     # the latest slider values, read under the lock
            values = {name: s.value for name, s in sliders.items()}
            text, png = draw(values)
            result.value = f"<b>{html.escape(text)}</b>"
            picture.value = png             # sent to the browser now
            # While the class looks at it, draw the next position in the direction the
            # slider moved: moving on then only sends a picture.  (A newer move waits for
            # this one render.)
            if change is None or change.get("owner") not in sliders.values():
                return
            s = change["owner"]
            nxt = _next_position(s, change["old"], change["new"])
            if nxt is not None and all(t.value == values[n] for n, t in sliders.items()):
                ahead = dict(values)
                ahead[next(n for n, t in sliders.items() if t is s)] = nxt
                draw(ahead)

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(sliders.values())), result, picture])


def _next_position(slider, old, new):
    """The value one step further than ``new`` in the direction ``old → new`` (None at an end),
    as the browser computes it: log sliders step their exponent."""
    import ipywidgets as widgets

    if old is None or old == new:
        return None
    up = new > old
    if isinstance(slider, widgets.FloatLogSlider):
        exponent = np.log10(new) / np.log10(slider.base) + (slider.step if up else -slider.step)
        if not slider.min - 1e-9 <= exponent <= slider.max + 1e-9:
            return None
        return float(slider.base ** round(exponent, 10))
    value = new + (slider.step if up else -slider.step)
    return value if slider.min <= value <= slider.max else None


def _log_slider(value, lo, hi, description, css):
    import ipywidgets as widgets

    s = widgets.FloatLogSlider(value=value, base=10, min=float(np.log10(lo)),
                               max=float(np.log10(hi)), step=0.1, description=description,
                               continuous_update=False, readout_format=".3g",
                               style={"description_width": "2em"},
                               layout=widgets.Layout(width="330px"))
    s.add_class(css)
    return s


def eta_explorer(eta=0.3):
    """A log-scale η slider that retrains the curve-fitting network (:func:`eta_view`)."""
    return _explorer({"eta": _log_slider(eta, *ETA_RANGE, "η", "eta-slider")}, eta_view)


def lambda_explorer(lam=0.01, eta=1.0):
    """λ and η sliders that retrain the two-moons network (:func:`lambda_view`)."""
    sliders = {"lam": _log_slider(lam, *LAM_RANGE, "λ", "lam-slider"),
               "eta": _log_slider(eta, *LAM_ETA_RANGE, "η", "eta-slider")}
    return _explorer(sliders, lambda lam, eta: lambda_view(lam, eta))


def batch_mode_explorer(eta=0.5, batch_size=10):
    """η and mini-batch-size sliders that retrain the three modes (:func:`batch_mode_view`)."""
    import ipywidgets as widgets

    size = widgets.IntSlider(value=batch_size, min=MODE_BATCH_RANGE[0], max=MODE_BATCH_RANGE[1],
                             description=tr("batch"), continuous_update=False,
                             style={"description_width": "3em"},
                             layout=widgets.Layout(width="330px"))
    size.add_class("batch-slider")
    sliders = {"eta": _log_slider(eta, *MODE_ETA_RANGE, "η", "eta-slider"), "batch_size": size}
    return _explorer(sliders, lambda eta, batch_size: batch_mode_view(eta, batch_size))
