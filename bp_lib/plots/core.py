"""Figures shared by every chapter: the network diagram, decision boundaries, cost curves.

Every function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns that ``Axes``, so notebooks and tests can inspect what was
drawn.  Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import _validate as v


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def draw_network(sizes, ax=None, *, labels=True, shapes=True, max_units=8,
                 highlight=None, layer_names=None, title=None, edge=None):
    """Draw a fully connected network: units as circles, weights as lines.

    sizes : widths ``[n_in, s_1, ..., s_L]``.
    labels : write :math:`a^{(l)}` under each layer.
    shapes : write the shapes of ``W⁽ˡ⁾`` ``(s_l, s_{l-1})`` and ``b⁽ˡ⁾`` between layers.
    max_units : a wider layer is drawn with its first and last units and "⋮" between.
    highlight : optional layer index (0 = input) drawn in a stronger colour.
    edge : optional ``(l, j, k)``: the weight :math:`W^{(l)}_{jk}` from unit k of layer l-1 to
        unit j of layer l (units counted from 1, as in the math), drawn thick and labelled.
    Returns the ``Axes``.
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths; got {sizes!r}")
    sizes = [v.integer(n, f"sizes[{i}]", low=1) for i, n in enumerate(sizes)]
    ax = _axes(ax, (1.9 * len(sizes) + 1, 3.6))
    L = len(sizes) - 1
    xs = np.arange(len(sizes)) * 2.0
    positions = []
    for l, n in enumerate(sizes):
        shown = n if n <= max_units else max_units
        ys = np.linspace(1, -1, shown) * min(1.0, 0.18 * (shown - 1)) if shown > 1 else np.zeros(1)
        positions.append(ys)
    for l in range(L):
        for y0 in positions[l]:
            for y1 in positions[l + 1]:
                ax.plot([xs[l], xs[l + 1]], [y0, y1], color="0.75", lw=0.6, zorder=1)
    if edge is not None:
        if not isinstance(edge, (tuple, list)) or len(edge) != 3:
            raise ValueError(f"edge must be a triple (l, j, k); got {edge!r}")
        l, j, k = (v.integer(x, f"edge[{i}]", low=1) for i, x in enumerate(edge))
        if l > L or j > sizes[l] or k > sizes[l - 1] or max(sizes[l], sizes[l - 1]) > max_units:
            raise ValueError(f"edge (l, j, k) = {edge!r} must name a drawn weight: l in 1..{L}, "
                             f"j in 1..s_l, k in 1..s_(l-1), in layers of at most {max_units} units")
        (x0, y0), (x1, y1) = (xs[l - 1], positions[l - 1][k - 1]), (xs[l], positions[l][j - 1])
        ax.plot([x0, x1], [y0, y1], color="#dd8452", lw=2.5, zorder=1.5)
        ax.annotate(f"$W^{{({l})}}_{{{j}{k}}}$: to unit {j} of layer {l},\nfrom unit {k} of layer {l - 1}",
                    xy=((x0 + x1) / 2, (y0 + y1) / 2), xytext=((x0 + x1) / 2, -1.75),
                    ha="center", va="top", fontsize=9, color="#a0522d",
                    arrowprops=dict(arrowstyle="->", color="#a0522d", lw=0.8))
    for l, n in enumerate(sizes):
        colour = "#4c72b0" if l == 0 else ("#c44e52" if l == L else "#55a868")
        if highlight is not None and l == highlight:
            colour = "#dd8452"
        ys = positions[l]
        skip = n > max_units
        for k, y in enumerate(ys):
            if skip and k == len(ys) // 2:
                ax.text(xs[l], y, "⋮", ha="center", va="center", fontsize=14, zorder=3)
                continue
            ax.add_patch(plt.Circle((xs[l], y), 0.09, color=colour, zorder=2))
        if labels:
            name = layer_names[l] if layer_names else (
                "input" if l == 0 else ("output" if l == L else f"hidden {l}"))
            ax.text(xs[l], -1.32, f"{name}\n$a^{{({l})}}$: {n} unit{'s' if n != 1 else ''}",
                    ha="center", va="top", fontsize=9)
    if shapes:
        for l in range(1, L + 1):
            ax.text((xs[l - 1] + xs[l]) / 2, 1.22,
                    f"$W^{{({l})}}$: {sizes[l]}×{sizes[l - 1]}\n$b^{{({l})}}$: {sizes[l]}",
                    ha="center", va="bottom", fontsize=9)
    ax.set_xlim(xs[0] - 0.7, xs[-1] + 0.7)
    ax.set_ylim(-2.35 if edge is not None else -1.95, 1.75)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_decision_boundary(net, X, Y, ax=None, *, resolution=120, margin=0.5, title=None):
    """Shade the class a 2-input network predicts over the plane, with the data on top.

    ``X`` ``(m, 2)``; ``Y`` one-hot ``(m, K)`` or ``(m, 1)`` of 0/1.  Returns the ``Axes``.
    """
    X = v.as_matrix(X, "X", cols=2, what="(m, 2)")
    Y = v.as_matrix(Y, "Y")
    v.same_rows(X, Y)
    ax = _axes(ax, (4, 4))
    x0, x1 = X[:, 0].min() - margin, X[:, 0].max() + margin
    y0, y1 = X[:, 1].min() - margin, X[:, 1].max() + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[gx.ravel(), gy.ravel()]
    A = net.forward(grid)
    if A.shape[1] == 1:
        values = A[:, 0].reshape(gx.shape)
        ax.contourf(gx, gy, values, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
        ax.contour(gx, gy, values, levels=[0.5], colors="k", linewidths=1)
        labels = (Y[:, 0] > 0.5).astype(int)
    else:
        K = A.shape[1]
        values = np.argmax(A, axis=1).reshape(gx.shape)
        ax.contourf(gx, gy, values, levels=np.arange(K + 1) - 0.5, cmap="tab10", alpha=0.35,
                    vmin=0, vmax=9)
        labels = np.argmax(Y, axis=1)
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap="tab10" if A.shape[1] > 1 else "RdBu_r",
               vmin=0, vmax=9 if A.shape[1] > 1 else 1, s=14, edgecolors="k", linewidths=0.4)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_history(history, ax=None, *, label=None, x="epoch", log=True, **style):
    """Plot a :class:`bp_lib.History`'s cost against epochs (or ``x="examples"``).

    A run that diverged is drawn up to its last finite cost and labelled so.
    Returns the ``Axes``.
    """
    ax = _axes(ax, (5, 3.4))
    cost = np.asarray(history.cost, dtype=float)
    xs = np.arange(len(cost)) if x == "epoch" else np.asarray(history.examples_seen)
    finite = np.isfinite(cost)
    text = label or f"η={history.eta:g}"
    if history.diverged:
        text += " (diverged)"
    ax.plot(xs[finite], cost[finite], label=text, **style)
    ax.set_xlabel("epoch" if x == "epoch" else "examples seen")
    ax.set_ylabel("cost J")
    if log and np.all(cost[finite] > 0):
        ax.set_yscale("log")
    return ax
