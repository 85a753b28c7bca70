"""Figures of training (chapters 5 and 6): λ and decision boundaries, train vs validation
cost, the three batch modes, learning rates, and what a digits network learned.

Like :mod:`bp_lib.plots.core`, every function draws on given axes (or a new
figure) and returns what it drew — an ``Axes`` or a ``Figure`` — and never
calls ``plt.show()``.  Nothing here trains a network: pass networks and
:class:`bp_lib.History` objects that were trained elsewhere (the chapters, or
the explorers of :mod:`bp_lib.widgets.explorers`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import _validate as v
from .core import check_history, plot_decision_boundary, plot_history

#: One colour per batch mode, the same in every figure of chapter 6.
MODE_COLOURS = {"full batch": "#4c72b0", "mini-batch": "#55a868", "single sample": "#c44e52"}


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _histories(histories, labels):
    """A non-empty list of :class:`bp_lib.History` and as many labels (or ``None`` each)."""
    if isinstance(histories, (str, bytes)) or not hasattr(histories, "__iter__"):
        raise TypeError(f"histories must be a list of bp_lib.History; got {type(histories).__name__}")
    histories = [check_history(h, f"histories[{i}]") for i, h in enumerate(histories)]
    if not histories:
        raise ValueError("histories must hold at least one bp_lib.History; got an empty list")
    labels = list(labels) if labels else [None] * len(histories)
    if len(labels) != len(histories):
        raise ValueError(f"labels must give one label per history ({len(histories)}); got {len(labels)}")
    return histories, labels


def mode_name(batch_size):
    """``None`` → ``"full batch"``, ``1`` → ``"single sample"``, ``k`` → ``"mini-batch"``."""
    return {None: "full batch", 1: "single sample"}.get(batch_size, "mini-batch")


def plot_validation_points(X_val, Y_val, ax):
    """Validation points as hollow markers (class 0 blue, class 1 red), on top of a boundary."""
    X_val = v.as_matrix(X_val, "X_val", cols=2, what="(m, 2)")
    Y_val = v.as_matrix(Y_val, "Y_val", rows=X_val.shape[0],
                        what=f"(m, 1) or (m, K) with m = {X_val.shape[0]}, like X_val")
    labels = np.argmax(Y_val, axis=1) if Y_val.shape[1] > 1 else (Y_val[:, 0] > 0.5).astype(int)
    for k, colour in ((0, "#2166ac"), (1, "#b2182b")):
        pts = X_val[labels == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=9, facecolors="none", edgecolors=colour,
                   linewidths=0.6, alpha=0.7)
    return ax


def plot_boundary_grid(nets, X, Y, titles, *, X_val=None, Y_val=None, resolution=80,
                       ncols=None, size=2.6):
    """One decision boundary per network, side by side (e.g. one per λ).

    nets : trained 2-input networks; titles : one string per network.
    Training points filled, validation points (if given) hollow.  Returns the ``Figure``.
    """
    nets = list(nets)
    titles = list(titles)
    if len(nets) != len(titles) or not nets:
        raise ValueError(f"pass one title per network; got {len(nets)} networks and "
                         f"{len(titles)} titles")
    ncols = len(nets) if ncols is None else v.integer(ncols, "ncols", low=1)
    nrows = -(-len(nets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3),
                             squeeze=False)
    for ax, net, title in zip(axes.ravel(), nets, titles):
        plot_decision_boundary(net, X, Y, ax, resolution=resolution, title=title)
        if X_val is not None:
            lims = ax.get_xlim(), ax.get_ylim()
            plot_validation_points(X_val, Y_val, ax)
            ax.set_xlim(*lims[0])
            ax.set_ylim(*lims[1])
    for ax in axes.ravel()[len(nets):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_train_val(history, ax=None, *, title=None):
    """Training and validation loss (mean loss, L2 term left out) against epochs.

    Both curves leave the L2 term out so they compare like with like; a gap
    that opens between them is overfitting.  Returns the ``Axes``.
    """
    check_history(history)
    ax = _axes(ax, (4.5, 3.2))
    epochs = np.arange(len(history.loss))
    ax.plot(epochs, history.loss, color="#4c72b0", label="training loss")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, color="#dd8452", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss (no L2 term)")
    ax.set_yscale("log")
    ax.legend(fontsize=8, loc="lower left")     # a fixed place: "best" is slow to compute
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_lambda_curve(lams, train_losses, val_losses, ax=None):
    """Final training and validation loss against λ (symmetric-log λ axis, so λ = 0 fits)."""
    lams = v.as_float_array(lams, "lams", "a 1-D array of λ values")
    train_losses = v.as_float_array(train_losses, "train_losses", "one loss per λ")
    val_losses = v.as_float_array(val_losses, "val_losses", "one loss per λ")
    if lams.ndim != 1 or train_losses.shape != lams.shape or val_losses.shape != lams.shape:
        raise ValueError(f"lams, train_losses and val_losses must be 1-D of one length (one "
                         f"entry per λ); got shapes {lams.shape}, {train_losses.shape}, "
                         f"{val_losses.shape}")
    ax = _axes(ax, (4.5, 3.2))
    ax.plot(lams, train_losses, "o-", color="#4c72b0", label="training loss")
    ax.plot(lams, val_losses, "s-", color="#dd8452", label="validation loss")
    positive = lams[lams > 0]
    ax.set_xscale("symlog", linthresh=positive.min() if positive.size else 1.0)
    ax.set_xlabel("λ")
    ax.set_ylabel("mean loss after training")
    ax.legend(fontsize=8)
    return ax


def plot_weight_sizes(weights, ax=None, *, ymax=None, bare=False):
    r"""The size of each layer's weights, :math:`\lVert W^{(l)}\rVert_F`, as bars (what λ shrinks).

    ``bare=True`` draws no axis ticks (the layer names and values are written on the
    bars), which makes the figure quicker to redraw.
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError(f"weights must be a non-empty list of weight matrices (net.weights); "
                        f"got {type(weights).__name__}")
    weights = [v.as_float_array(W, f"weights[{l}]", "a weight matrix") for l, W in enumerate(weights)]
    ax = _axes(ax, (3, 3.2))
    norms = [float(np.linalg.norm(W)) for W in weights]
    sup = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
    names = [f"W{f'({l})'.translate(sup)}" for l in range(1, len(weights) + 1)]   # no mathtext: faster
    xs = np.arange(len(norms))
    ax.bar(xs, norms, color="#8172b2")
    for x, n in zip(xs, norms):
        ax.text(x, n, f"{n:.1f}", ha="center", va="bottom", fontsize=8)
    if ymax is not None:
        ax.set_ylim(0, ymax)
    if bare:
        top = ax.get_ylim()[1]
        for x, name in zip(xs, names):
            ax.text(x, -0.02 * top, name, ha="center", va="top", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set_xticks(xs, names)
        ax.set_ylabel("‖W⁽ˡ⁾‖ (Frobenius norm)")
    return ax


def plot_cost_curves(histories, ax=None, *, x="epoch", labels=None, ymax=None):
    """Several cost curves on one log axes (e.g. one per η).

    A diverging run climbs out of the top of the chart: costs above ``ymax``
    (default: 30 × the largest starting cost) are drawn along the top edge,
    and a ✕ there marks the epoch where the cost became infinite.  Returns the ``Axes``.
    """
    histories, labels = _histories(histories, labels)
    ax = _axes(ax, (5, 3.4))
    if ymax is None:
        ymax = 30.0 * max(float(h.cost[0]) for h in histories)
    lowest = ymax
    for h, label in zip(histories, labels):
        cost = np.asarray(h.cost, dtype=float)
        xs = np.arange(len(cost)) if x == "epoch" else np.asarray(h.examples_seen)
        shown = np.isfinite(cost) & (cost > 0)
        text = label or f"η={h.eta:.3g}"
        if h.diverged:
            text += f" (diverged at epoch {h.epochs_run})"
        # Off the chart is drawn along its top edge, so a climb stays visible.
        line, = ax.plot(xs[shown], np.minimum(cost[shown], ymax), label=text)
        if shown.any():
            lowest = min(lowest, float(cost[shown].min()))
        if h.diverged:
            ax.plot(xs[-1], ymax, "x", ms=9, mew=2, color=line.get_color(), clip_on=False)
    ax.set_yscale("log")
    ax.set_ylim(lowest * 0.5, ymax)
    ax.set_xlabel("epoch" if x == "epoch" else "examples seen")
    ax.set_ylabel("cost J")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_batch_modes(histories, ax=None, *, labels=None):
    """Cost against examples seen for full batch, mini-batch and single sample, on one axes.

    ``histories``: :class:`bp_lib.History` objects trained for the same number
    of epochs, so their x axes (examples seen) end at the same place.
    """
    histories, labels = _histories(histories, labels)
    ax = _axes(ax, (5, 3.4))
    for h, label in zip(histories, labels):
        name = mode_name(h.batch_size)
        text = label or (name if h.batch_size in (None, 1) else f"mini-batch of {h.batch_size}")
        text += f" ({h.steps} steps)"
        plot_history(h, ax, label=text, x="examples", log=False, color=MODE_COLOURS[name],
                     marker="o", ms=3)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_cost_vs_time(histories, seconds, ax=None, *, labels=None, log_time=False):
    r"""Cost against wall-clock time, one curve per run (e.g. one per batch mode).

    histories : :class:`bp_lib.History` objects; run i recorded ``cost[k]`` after k epochs.
    seconds : one positive number per run, the time its whole run took (say, the median
        of several repeats).  Every epoch of a run does the same work, so epoch k is drawn
        at :math:`t_k = k\,T/E`, with T = ``seconds[i]`` and E its number of epochs.
    labels : optional legend texts (default: the batch mode).
    log_time : a logarithmic time axis (the moment 0, before training, is then left out);
        by default the axis is linear and every curve starts at its ``cost[0]`` at t = 0.

    Returns the ``Axes``.
    """
    histories = list(histories)
    seconds = [float(s) for s in np.ravel(np.asarray(seconds, dtype=float))]
    if len(seconds) != len(histories) or not histories:
        raise ValueError(f"seconds must hold one time per history; got {len(seconds)} times "
                         f"for {len(histories)} histories")
    if not all(np.isfinite(s) and s > 0 for s in seconds):
        raise ValueError(f"seconds must be positive and finite; got {seconds}")
    ax = _axes(ax, (5, 3.4))
    labels = labels or [None] * len(histories)
    for h, T, label in zip(histories, seconds, labels):
        cost = np.asarray(h.cost, dtype=float)
        epochs = len(cost) - 1
        if epochs < 1:
            raise ValueError("every history must have run at least one epoch")
        name = mode_name(h.batch_size)
        text = label or (name if h.batch_size in (None, 1) else f"mini-batch of {h.batch_size}")
        ts = np.arange(epochs + 1) * T / epochs
        start = 1 if log_time else 0
        ax.plot(ts[start:], cost[start:], color=MODE_COLOURS[name], label=text, marker="o", ms=2.5,
                lw=1.2)
    if log_time:
        ax.set_xscale("log")
    else:
        ax.set_xlim(left=0)
    top = max(float(np.nanmax(np.where(np.isfinite(h.cost), h.cost, np.nan))) for h in histories)
    ax.set_ylim(0, 1.3 * top)                 # room for the legend above the curves
    ax.set_xlabel("wall-clock time (seconds" + (", log scale)" if log_time else ")"))
    ax.set_ylabel("cost J")
    ax.legend(fontsize=8, loc="upper center", ncol=len(histories), handlelength=1.5,
              columnspacing=1.0)
    return ax


def plot_confusion_matrix(y_true, y_pred, ax=None, *, n_classes=None, title=None):
    """Counts of (true class, predicted class) as a heat map with the numbers written in.

    ``y_true``, ``y_pred``: class indices ``(m,)``.  Off-diagonal cells are the
    mistakes.  Returns the ``Axes``.
    """
    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D class indices of the same length; got "
                         f"shapes {y_true.shape} and {y_pred.shape}")
    K = int(max(y_true.max(), y_pred.max()) + 1) if n_classes is None else int(n_classes)
    C = np.zeros((K, K), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    ax = _axes(ax, (4.6, 4.2))
    shown = np.where(np.eye(K, dtype=bool), 0, C)   # colour the mistakes, not the diagonal
    ax.imshow(shown, cmap="Reds", vmin=0, vmax=max(1, shown.max()))
    for i in range(K):
        for j in range(K):
            if C[i, j]:
                dark = i != j and shown[i, j] > 0.6 * shown.max()
                ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize=8,
                        color="#1b5e20" if i == j else ("w" if dark else "k"),
                        weight="bold" if i == j else None)
    ax.set_xticks(range(K))
    ax.set_yticks(range(K))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "confusion matrix (diagonal: correct)", fontsize=10)
    return ax


def confusion_matrix(y_true, y_pred, n_classes):
    """The counts drawn by :func:`plot_confusion_matrix`: ``C[i, j]`` examples of class i predicted j."""
    n_classes = v.integer(n_classes, "n_classes", low=1)
    labels = []
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        y = v.as_float_array(y, name, "a 1-D array of class indices")
        if y.ndim != 1 or np.any(y != np.round(y)) or (y.size and (y.min() < 0 or y.max() >= n_classes)):
            raise ValueError(f"{name} must be 1-D whole class indices in 0..{n_classes - 1}; got "
                             f"shape {y.shape}" + (f", values {y.min():g} to {y.max():g}" if y.size else ""))
        labels.append(y.astype(int))
    if labels[0].shape != labels[1].shape:
        raise ValueError(f"y_true and y_pred must have one entry per example each; got "
                         f"{labels[0].size} and {labels[1].size}")
    C = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(C, (labels[0], labels[1]), 1)
    return C


def plot_hidden_units(W, *, image_shape=(8, 8), ncols=8, units=None, size=1.1,
                      shared_scale=False):
    r"""Each hidden unit's input weights :math:`W^{(1)}_{j,:}` drawn as an image.

    ``W`` is ``(s_1, n_in)`` with ``n_in`` = the product of ``image_shape``.
    Red pixels push the unit's :math:`z_j` up, blue ones down.  By default each
    image has its own symmetric colour scale (patterns show best);
    ``shared_scale=True`` gives all one scale, :math:`\pm\max|W|`, with a colour
    bar, so that units can be compared.  Returns the ``Figure``.
    """
    W = v.as_matrix(W, "W")
    h, w = image_shape
    if W.shape[1] != h * w:
        raise ValueError(f"W must have {h * w} columns (one per pixel of a {h}×{w} image); got "
                         f"shape {W.shape}")
    units = range(W.shape[0]) if units is None else list(units)
    units = list(units)
    nrows = -(-len(units) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.4),
                             squeeze=False)
    shared = float(np.abs(W[units]).max()) or 1.0
    for ax, j in zip(axes.ravel(), units):
        img = W[j].reshape(h, w)
        lim = shared if shared_scale else (np.abs(img).max() or 1.0)
        image = ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f"unit {j + 1}", fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[len(units):]:
        ax.axis("off")
    fig.tight_layout()
    if shared_scale:
        fig.subplots_adjust(right=0.9)
        cax = fig.add_axes([0.92, 0.15, 0.015, 0.7])
        fig.colorbar(image, cax=cax).set_label("weight", fontsize=8)
    return fig


def plot_top_inputs(W, b, X, units, *, k=6, image_shape=(8, 8), size=0.9):
    r"""For each hidden unit, its weights beside the ``k`` inputs that drive it hardest.

    W : ``(s_1, n_in)`` first-layer weights; b : ``(s_1,)`` biases; X : ``(m, n_in)`` inputs,
    one image per row (``n_in`` = the product of ``image_shape``); units : unit indices
    (0-based).  For unit j the inputs are ranked by :math:`z_j = W_{j,:}x + b_j` (the sigmoid
    is increasing, so this is also the ranking by activation).  Each row shows the weights
    (red raises :math:`z_j`, blue lowers it) and then the ``k`` top inputs, darkest = most
    ink.  Returns the ``Figure``.
    """
    W = v.as_matrix(W, "W")
    X = v.as_matrix(X, "X", cols=W.shape[1], what="(m, n_in), n_in = W.shape[1]")
    b = np.asarray(b, dtype=float)
    if b.shape != (W.shape[0],):
        raise ValueError(f"b must have shape ({W.shape[0]},), one bias per row of W; got {b.shape}")
    h, w = image_shape
    if W.shape[1] != h * w:
        raise ValueError(f"W must have {h * w} columns (one per pixel of a {h}×{w} image); got "
                         f"shape {W.shape}")
    units = [v.integer(j, "units[i]", low=0, high=W.shape[0] - 1) for j in units]
    if not units:
        raise ValueError("units must name at least one unit; got none")
    k = v.integer(k, "k", low=1, high=X.shape[0])
    fig, axes = plt.subplots(len(units), k + 1, figsize=(size * (k + 1), size * len(units) + 0.3),
                             squeeze=False)
    for row, j in zip(axes, units):
        z = X @ W[j] + b[j]
        top = np.argsort(-z, kind="stable")[:k]
        lim = np.abs(W[j]).max() or 1.0
        row[0].imshow(W[j].reshape(h, w), cmap="RdBu_r", vmin=-lim, vmax=lim)
        row[0].set_title(f"unit {j + 1}", fontsize=7)
        for ax, i in zip(row[1:], top):
            ax.imshow(X[i].reshape(h, w), cmap="gray_r", vmin=0, vmax=max(1.0, X.max()))
            ax.set_title(f"z = {z[i]:.1f}", fontsize=6)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig
