r"""Figures for chapter 2's gradient descent: the data, descent paths on a cost map, progress.

Each function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is None),
returns it and never calls ``plt.show()``.  They are meant to be layered on
:func:`bp_lib.plots.plot_cost_contours`: draw the contours, then the paths.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import _validate as v

_CLASS_COLOURS = ("#4c72b0", "#dd8452")


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _path(path, name="path"):
    P = v.as_float_array(path, name, "an array of shape (steps + 1, 2)")
    if P.ndim != 2 or P.shape[1] != 2 or P.shape[0] < 1:
        raise ValueError(f"{name} must have shape (steps + 1, 2): one (w1, w2) row per step; "
                         f"got shape {P.shape}")
    if not np.all(np.isfinite(P)):
        raise ValueError(f"{name} must contain only finite numbers")
    return P


def plot_descent_path(path, ax=None, *, label=None, color="white", mark_every=1):
    r"""Draw one gradient-descent path :math:`\theta_0, \theta_1, \dots` over a cost map.

    path : ``(steps + 1, 2)``, row t being :math:`\theta_t = (w_1, w_2)` after t steps of
        :math:`\theta \leftarrow \theta - \eta\,\partial J/\partial\theta`.
    The start is a circle, the end a square, and a dot marks every ``mark_every``-th step
    (dots far apart = fast progress, dots bunched = slow).  Returns the ``Axes``.
    """
    P = _path(path)
    every = v.integer(mark_every, "mark_every", low=1)
    ax = _axes(ax, (4.2, 3.6))
    ax.plot(P[:, 0], P[:, 1], color=color, lw=1.4, label=label, zorder=3, marker="o",
            markevery=every, markersize=3.5, markeredgecolor="k", markeredgewidth=0.4)
    ax.plot(P[0, 0], P[0, 1], marker="o", color=color, markersize=8, markeredgecolor="k",
            zorder=4)
    ax.plot(P[-1, 0], P[-1, 1], marker="s", color=color, markersize=7, markeredgecolor="k",
            zorder=4)
    return ax


def plot_labelled_points(x, y, ax=None, *, model=None, model_label="model output",
                         title=None):
    r"""The one-input data set of chapter 2: each point at height 0 or 1 (its label).

    x, y : 1-D arrays of the same length (``y`` holds 0/1 labels).
    model : optional function ``x_grid -> a`` (probabilities, same shape as ``x_grid``),
        drawn as a curve over the range of ``x``.  Returns the ``Axes``.
    """
    x = v.as_float_array(x, "x", "a 1-D array of inputs").ravel()
    y = v.as_float_array(y, "y", "a 1-D array of 0/1 labels").ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same number of entries; got {x.size} and "
                         f"{y.size}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold 0/1 labels only")
    if model is not None and not callable(model):
        raise TypeError(f"model must be a function x_grid -> probabilities; got "
                        f"{type(model).__name__}")
    ax = _axes(ax, (4.2, 3.2))
    span = x.max() - x.min()
    if model is not None:
        grid = np.linspace(x.min() - 0.1 * span, x.max() + 0.1 * span, 300)
        ax.plot(grid, np.asarray(model(grid), dtype=np.float64).ravel(), color="0.3", lw=1.8,
                label=model_label)
    for k in (0, 1):
        sel = y == k
        ax.scatter(x[sel], y[sel], s=45, color=_CLASS_COLOURS[k], edgecolor="k", zorder=3,
                   label=f"label {k}")
    ax.axhline(0.5, color="0.6", lw=0.6, ls=":", zorder=0)
    ax.set_ylim(-0.1, 1.1)
    ax.set_xlabel("input $x$")
    ax.set_ylabel("label $y$ / output $a$")
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8, loc="center right", framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_cost_progress(runs, ax=None, *, title=None):
    r"""How far each gradient-descent run still is from its lowest cost, step by step.

    runs : a sequence of ``(label, costs, floor)``: ``costs`` the 1-D array
        :math:`J(\theta_0), J(\theta_1), \dots`, ``floor`` the lowest cost that loss can
        reach.  Each is drawn as :math:`(J_t - \text{floor}) / (J_0 - \text{floor})`:
        1 at the start, 0 at the bottom, so runs of different losses share one axis.
    Returns the ``Axes``.
    """
    if isinstance(runs, (str, bytes)) or not hasattr(runs, "__iter__"):
        raise TypeError(f"runs must be a sequence of (label, costs, floor); got "
                        f"{type(runs).__name__}")
    runs = list(runs)
    if not runs:
        raise ValueError("runs must contain at least one (label, costs, floor)")
    ax = _axes(ax, (4.2, 3.2))
    styles = ("-", "--", ":", "-.")
    for i, run in enumerate(runs):
        if not isinstance(run, (tuple, list)) or len(run) != 3:
            raise ValueError(f"runs[{i}] must be (label, costs, floor); got {run!r:.60}")
        label, costs, floor = run
        costs = v.as_float_array(costs, f"runs[{i}] costs", "a 1-D array of costs").ravel()
        floor = v.real(floor, f"runs[{i}] floor")
        if costs.size < 2 or costs[0] <= floor:
            raise ValueError(f"runs[{i}]: costs must have at least 2 entries and start above "
                             f"floor; got {costs.size} entries starting at "
                             f"{costs[0] if costs.size else None} with floor {floor}")
        ax.plot(np.arange(costs.size), (costs - floor) / (costs[0] - floor), lw=2,
                ls=styles[i % len(styles)], label=str(label))
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel("gradient-descent step $t$")
    ax.set_ylabel(r"$(J_t - J_{\min}) / (J_0 - J_{\min})$")
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8, framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
