"""Figures shared by every chapter: the network diagram, decision boundaries, cost curves.

Every function draws on a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns that ``Axes``, so notebooks and tests can inspect what was
drawn.  Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import _validate as v


# These two live here, not in bp_lib._validate: _validate must import nothing of bp_lib, because
# the grading sandbox keeps every module an always-visible one imports (and network imports the
# answers of chapters 3–4).
def check_history(value, name="history"):
    """A :class:`bp_lib.History` (what :func:`bp_lib.train` returns), or a clear TypeError."""
    from ..training import History
    return v.instance(value, name, History, "a bp_lib.History (what bp_lib.train returns)")


def check_network(value, name="net"):
    """A :class:`bp_lib.Network`, or a clear TypeError."""
    from ..network import Network
    return v.instance(value, name, Network, "a bp_lib.Network")


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
                    xy=((x0 + x1) / 2, (y0 + y1) / 2), xytext=((x0 + x1) / 2, -1.9),
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
    check_history(history)
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


def _finite_vector(value, name, size=None):
    arr = v.as_float_array(value, name, "a 1-D array of numbers")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {arr.shape}")
    if size is not None and arr.size != size:
        raise ValueError(f"{name} must have {size} entries (one per input); got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers; got {arr}")
    return arr


def draw_unit(a, w, b, f="sigmoid", ax=None):
    r"""Draw one unit with its numbers: inputs :math:`a_k`, weights :math:`w_k` on the edges,
    the sum :math:`z = w\cdot a + b` and the output :math:`f(z)`.

    a, w : 1-D arrays of the same length (at most 6); b : a number; f : an activation name.
    Every number drawn is computed here from the arguments.  Returns the ``Axes``.
    """
    from .. import activations
    a = _finite_vector(a, "a")
    if a.size > 6:
        raise ValueError(f"a has {a.size} inputs; draw_unit draws at most 6")
    w = _finite_vector(w, "w", a.size)
    b = v.real(b, "b")
    act = activations.get(f)
    z = float(w @ a + b)
    out = float(act.f(np.array([z]))[0])
    ax = _axes(ax, (8.6, 3.3))
    n = a.size
    ys = np.linspace(1, -1, n) * min(1.0, 0.35 * (n - 1)) if n > 1 else np.zeros(1)
    sx, fx, ox = 3.2, 5.0, 6.6
    for k, (ak, wk, y) in enumerate(zip(a, w, ys), start=1):
        ax.plot([0.25, sx - 0.42], [y, 0.0], color="#4c72b0", lw=0.8 + 2.2 * min(abs(wk), 1.0),
                zorder=1)
        ax.add_patch(plt.Circle((0, y), 0.22, color="#4c72b0", zorder=2))
        ax.text(-0.34, y, f"$a_{k}$ = {ak:g}", ha="right", va="center", fontsize=10)
        t = 0.42                                   # label the edge near its input end
        ax.text(0.25 + t * (sx - 0.67), y + t * (0.0 - y) + 0.09, f"$w_{k}$ = {wk:g}",
                ha="center", va="bottom", fontsize=9.5, color="#2f4b7c")
    ax.add_patch(plt.Circle((sx, 0), 0.42, facecolor="#f3f3f3", edgecolor="0.3", zorder=2))
    ax.text(sx, 0, r"$\Sigma$" + "\n" + r"$+\,b$", ha="center", va="center", fontsize=11, zorder=3)
    ax.text(sx, -0.55, f"b = {b:g}", ha="center", va="top", fontsize=9.5)
    ax.annotate("", xy=(fx - 0.42, 0), xytext=(sx + 0.42, 0),
                arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2))
    ax.text((sx + fx) / 2, 0.1, f"z = {z:.4g}", ha="center", va="bottom", fontsize=10)
    ax.add_patch(plt.Rectangle((fx - 0.42, -0.32), 0.84, 0.64, facecolor="#55a868", alpha=0.35,
                               edgecolor="0.3", zorder=2))
    ax.text(fx, 0, f"f = {act.name}" if len(act.name) <= 4 else f"f:\n{act.name}",
            ha="center", va="center", fontsize=9.5, zorder=3)
    ax.annotate("", xy=(ox - 0.1, 0), xytext=(fx + 0.42, 0),
                arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2))
    ax.text(ox, 0, f"$a_{{out}}$ = f(z)\n= {out:.4g}", ha="left", va="center", fontsize=10)
    terms = " + ".join(f"({wk:g})({ak:g})" for ak, wk in zip(a, w))
    ax.text(3.6, -1.45, f"z = w·a + b = {terms} + ({b:g}) = {z:.4g}", ha="center", va="top",
            fontsize=9.5)
    ax.set_xlim(-2.0, 8.4)
    ax.set_ylim(-1.85, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_batch_product(A_prev, W, b, *, example=0, unit=0, title=None):
    r"""The batch form of one layer as blocks: :math:`A^{(l-1)}\,W^{\mathsf T} + b = Z`.

    A_prev : ``(m, s_{l-1})``, one example per row; W : ``(s_l, s_{l-1})``; b : ``(s_l,)``.
    Every block is drawn with one cell per entry (so the shapes can be seen) and its numbers;
    row ``example`` of ``A_prev``, column ``unit`` of :math:`W^{\mathsf T}` (row ``unit`` of W)
    and the entry of Z they make are framed, and the sum for that entry is written out.
    ``example`` and ``unit`` are numpy's 0-based indices; the figure labels them from 1.
    Returns the ``Figure``.
    """
    A = v.as_matrix(A_prev, "A_prev", what="(m, s_(l-1))")
    W = v.as_matrix(W, "W", cols=A.shape[1], what=f"(s_l, s_(l-1)) = (s_l, {A.shape[1]})")
    b = _finite_vector(b, "b", None)
    if b.size != W.shape[0]:
        raise ValueError(f"b must have s_l = {W.shape[0]} entries (one per row of W); got {b.size}")
    m, s_prev = A.shape
    s = W.shape[0]
    if max(m, s_prev, s) > 10:
        raise ValueError(f"plot_batch_product draws at most 10 rows or columns per block; "
                         f"got A_prev {A.shape}, W {W.shape}")
    i = v.integer(example, "example", low=0, high=m - 1)
    j = v.integer(unit, "unit", low=0, high=s - 1)
    Z = A @ W.T + b
    blocks = [("$A^{(l-1)}$", A, f"({m} × {s_prev})", "#dce6f2"),
              ("$W^{(l)\\mathsf{T}}$", W.T, f"({s_prev} × {s})", "#f6e3d4"),
              ("$b^{(l)\\mathsf{T}}$", b[None, :], f"(1 × {s}), added to every row", "#e4efe0"),
              ("$Z^{(l)}$", Z, f"({m} × {s})", "#eeeeee")]
    cell, gap = 0.62, 1.15
    widths = [blk[1].shape[1] * cell for blk in blocks]
    height = max(m, s_prev) * cell
    fig, ax = plt.subplots(figsize=(0.62 * (sum(widths) + 3 * gap + 0.6) + 0.6, 0.62 * height + 2.6))
    x = 0.0
    frames = {0: ("row", i), 1: ("col", j), 2: ("col", j), 3: ("cell", (i, j))}
    ops = ["@", "+", "="]
    for n, (name, M, shape, colour) in enumerate(blocks):
        rows, cols = M.shape
        top = height / 2 + rows * cell / 2
        for (r, c), value in np.ndenumerate(M):
            ax.add_patch(plt.Rectangle((x + c * cell, top - (r + 1) * cell), cell, cell,
                                       facecolor=colour, edgecolor="white", lw=1.0))
            ax.text(x + (c + 0.5) * cell, top - (r + 0.5) * cell, f"{value:.2f}",
                    ha="center", va="center", fontsize=7.5)
        kind, where = frames[n]
        if kind == "row":
            rect = (x, top - (where + 1) * cell, cols * cell, cell)
        elif kind == "col":
            rect = (x + where * cell, top - rows * cell, cell, rows * cell)
        else:
            rect = (x + where[1] * cell, top - (where[0] + 1) * cell, cell, cell)
        ax.add_patch(plt.Rectangle(rect[:2], rect[2], rect[3], fill=False, edgecolor="#dd8452",
                                   lw=2.2, zorder=3))
        ax.text(x + cols * cell / 2, height + 0.35, name, ha="center", va="bottom", fontsize=11)
        ax.text(x + cols * cell / 2, -0.2, shape, ha="center", va="top", fontsize=8.5)
        x += cols * cell
        if n < 3:
            ax.text(x + gap / 2, height / 2, ops[n], ha="center", va="center", fontsize=16)
            x += gap
    terms = " + ".join(f"({A[i, k]:.2f})({W[j, k]:.2f})" for k in range(s_prev))
    r, c = i + 1, j + 1                           # counted from 1, as in the chapters
    ax.text(x / 2, -0.85,
            f"$Z_{{{r}{c}}}$ = row {r} of $A$ · column {c} of $W^T$ + $b_{{{c}}}$ = {terms} "
            f"+ ({b[j]:.2f}) = {Z[i, j]:.2f}   (rows and columns counted from 1)",
            ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.3, x + 0.3)
    ax.set_ylim(-1.5, height + 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or "One layer for a batch: each row of $A$ is one example, each column of "
                 "$W^T$ one unit's weights", fontsize=10)
    return fig
