r"""Figures for chapters 3 and 4: the error terms δ and how they travel backwards.

* :func:`plot_delta_flow` — the network drawn with each unit coloured by its
  δ for one example, and the backward arrows of the recursion
  :math:`\delta^{(l)} = (W^{(l+1)})^{\mathsf T}\delta^{(l+1)}\odot f'(z^{(l)})`.
* :func:`plot_trace_heatmaps` — every layer's ``Z``, ``A`` and ``Δ`` of a batch
  as small heat maps (examples as rows, units as columns); the δ stepper of
  chapter 4 draws with it.
* :func:`count_work_path_by_path`, :func:`count_work_backward` and
  :func:`plot_work_counts` — why backwards: the multiplications needed to get
  every weight's derivative path by path versus in one backward sweep.
* :func:`delta_sizes` and :func:`plot_delta_sizes` — the size of δ⁽ˡ⁾ layer by
  layer through a deep network (vanishing gradients) for sigmoid, tanh, ReLU.

Every function returns what it drew (an ``Axes`` or a ``Figure``) and never
calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from .. import _validate as v
from ..network import Network

# Colours shared with plots.core's network diagram.
_EDGE = "0.8"
_HIGHLIGHT = "#dd8452"
_READ = "#4c72b0"


def _axes(ax, figsize):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


# ------------------------------------------------------------------ δ flowing backwards
def plot_delta_flow(net, X, Y, ax=None, *, example=0, title=None):
    r"""The network with every unit coloured by its δ for one example, arrows pointing back.

    Units of layer l ≥ 1 are filled with :math:`\delta^{(l)}_j` of example
    ``example`` (blue negative, red positive, one symmetric scale per layer so
    the small δ of early layers stay visible; the largest |δ| of each layer is
    written under it).  The input layer has no δ and is grey.  Arrows below the
    units run from layer l+1 to layer l, labelled with the recursion's two
    operations.  Returns the ``Axes``.
    """
    trace = net.backprop(X, Y)
    example = v.integer(example, "example", low=0, high=trace.deltas[0].shape[0] - 1)
    sizes = net.sizes
    L = net.n_layers
    ax = _axes(ax, (2.3 * (L + 1) + 1.5, 4.2))
    xs = np.arange(L + 1) * 2.3
    ys = [np.linspace(1, -1, n) * min(1.0, 0.2 * (n - 1)) if n > 1 else np.zeros(1) for n in sizes]
    for l in range(L):
        for y0 in ys[l]:
            for y1 in ys[l + 1]:
                ax.plot([xs[l], xs[l + 1]], [y0, y1], color=_EDGE, lw=0.6, zorder=1)
    cmap = plt.get_cmap("RdBu_r")
    for l in range(L + 1):
        if l == 0:
            values, scale = None, 1.0
        else:
            values = trace.deltas[l - 1][example]
            scale = max(float(np.max(np.abs(values))), 1e-300)
        for j, y in enumerate(ys[l]):
            colour = "0.85" if values is None else cmap(0.5 + 0.5 * values[j] / scale)
            ax.add_patch(Circle((xs[l], y), 0.13, facecolor=colour, edgecolor="0.3", lw=0.8,
                                zorder=3))
        label = "input $a^{(0)}=x$" if l == 0 else (
            f"$\\delta^{{({l})}}$: {sizes[l]} unit{'s' if sizes[l] != 1 else ''}"
            f"\nmax $|\\delta|$ = {scale:.1e}")
        ax.text(xs[l], 1.3, label, ha="center", va="bottom", fontsize=9)
    # the backward arrows
    y_arrow = -1.45
    for l in range(L, 0, -1):
        ax.add_patch(FancyArrowPatch((xs[l] - 0.2, y_arrow), (xs[l - 1] + 0.2, y_arrow),
                                     arrowstyle="-|>", mutation_scale=14, lw=1.6,
                                     color=_HIGHLIGHT, zorder=2))
        if l > 1:
            text = f"$\\times (W^{{({l})}})^{{T}}$, $\\odot f'(z^{{({l - 1})}})$"
        else:
            text = f"$\\partial\\ell/\\partial W^{{(1)}} = \\delta^{{(1)}} x^{{T}}$"
        ax.text((xs[l] + xs[l - 1]) / 2, y_arrow - 0.12, text, ha="center", va="top", fontsize=8.5)
    loss_text = ("$\\delta^{(L)} = a^{(L)} - y$" if net.loss != "mse"
                 else "$\\delta^{(L)} = (a^{(L)}-y)\\odot f'(z^{(L)})$")
    ax.text(xs[-1] + 0.45, 0.0, "loss $\\ell$\n" + loss_text, ha="left", va="center", fontsize=9,
            bbox=dict(boxstyle="round", fc="#fbe5d6", ec=_HIGHLIGHT))
    ax.add_patch(FancyArrowPatch((xs[-1] + 0.45, -0.55), (xs[-1] + 0.2, y_arrow + 0.05),
                                 arrowstyle="-|>", mutation_scale=12, lw=1.2, color=_HIGHLIGHT,
                                 connectionstyle="arc3,rad=-0.3"))
    ax.set_xlim(xs[0] - 0.8, xs[-1] + 2.9)
    ax.set_ylim(-2.05, 1.95)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"δ of example {example}, computed from the output backwards "
                 "(blue < 0 < red, scaled per layer)", fontsize=10)
    return ax


# ------------------------------------------------------------------ z, a, δ as heat maps
_ROWS = ("z", "a", "delta")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def heatmap_layout(sizes, m, gap=2.0):
    """Where :func:`plot_trace_heatmaps` puts each block: ``{(row, l): (x0, y0, w, h)}``.

    One data unit per matrix entry; columns of blocks are layers 0..L (plus the
    targets ``y`` after the last), rows of blocks are ``z``, ``a``, ``δ``.
    """
    layout = {}
    x = 0.0
    widths = list(sizes) + [sizes[-1]]
    for l, s in enumerate(widths):
        for r, row in enumerate(_ROWS):
            key = (row, l) if l < len(sizes) else ("y", l)
            if l == len(sizes) and row != "a":
                continue
            layout[key] = (x, r * (m + gap + 1.2), float(s), float(m))
        x += max(s, 3) + gap
    return layout


def plot_trace_heatmaps(trace, Y=None, ax=None, *, shown=None, highlight=(), read=(),
                        title=None):
    r"""Every layer's ``Z``, ``A`` and ``Δ`` as small heat maps on one ``Axes``.

    trace : a :class:`bp_lib.BackpropTrace` (``net.backprop(X, Y)``).
    Y : the targets, drawn after the output layer (optional).
    shown : set of ``(row, l)`` keys to draw (``row`` in ``"z", "a", "delta"``;
        ``l`` = 0..L, layer 0 being the input, which has only ``a``); the rest
        are drawn as empty frames.  ``None`` draws everything.
    highlight : keys framed in orange (what the current step computes).
    read : keys framed in blue (what the current step reads).

    Each block is an ``(m, s_l)`` matrix, examples as rows, units as columns,
    with its own colour scale — symmetric blue < 0 < red, or viridis from 0
    for non-negative activations and targets — and its largest absolute value
    written under it, so a small δ deep in the network is still
    visible.  Returns the ``Axes``.
    """
    L = len(trace.zs)
    m = trace.activations[0].shape[0]
    sizes = [A.shape[1] for A in trace.activations]
    layout = heatmap_layout(sizes, m)
    ax = _axes(ax, (1.2 + 0.32 * sum(max(s, 3) + 2 for s in sizes), 1.5 + 0.32 * 3 * (m + 3)))
    blocks = {}
    for l in range(L + 1):
        blocks[("a", l)] = trace.activations[l]
        if l >= 1:
            blocks[("z", l)] = trace.zs[l - 1]
            blocks[("delta", l)] = trace.deltas[l - 1]
    if Y is not None:
        blocks[("y", L + 1)] = np.asarray(Y, dtype=float)
    for key, (x0, y0, w, h) in layout.items():
        if key not in blocks:
            continue
        row, l = key
        visible = shown is None or key in shown or row == "y"      # the targets are data
        M = blocks[key]
        if visible:
            scale = max(float(np.max(np.abs(M))), 1e-300)
            if row in ("a", "y") and l > 0 and np.min(M) >= 0:    # outputs of σ, relu, softmax
                cmap, low = "viridis", 0.0
            else:
                cmap, low = "RdBu_r", -scale
            ax.imshow(M, cmap=cmap, vmin=low, vmax=scale, extent=(x0, x0 + w, y0 + h, y0),
                      interpolation="nearest", aspect="equal")
            ax.text(x0 + w / 2, y0 + h + 0.25, f"max {scale:.1e}", ha="center", va="top",
                    fontsize=6.5, color="0.3")
        else:
            ax.add_patch(Rectangle((x0, y0), w, h, facecolor="0.95", edgecolor="0.8", lw=0.6))
        colour, lw = "0.4", 0.6
        if key in read:
            colour, lw = _READ, 2.2
        if key in highlight:
            colour, lw = _HIGHLIGHT, 2.8
        ax.add_patch(Rectangle((x0, y0), w, h, fill=False, edgecolor=colour, lw=lw, zorder=4))
        # plain Unicode superscripts, not mathtext: parsing a dozen TeX labels per redraw
        # would cost the stepper most of its time
        sup = str(l).translate(_SUPERSCRIPTS)
        name = {"z": f"Z⁽{sup}⁾", "a": f"A⁽{sup}⁾", "delta": f"Δ⁽{sup}⁾", "y": "Y"}[row]
        if row == "a" and l == 0:
            name = "A⁽⁰⁾ = X"
        ax.text(x0 + w / 2, y0 - 0.3, name, ha="center", va="bottom", fontsize=10)
    xmax = max(x0 + w for (x0, _, w, _) in layout.values())
    ymax = max(y0 + h for (_, y0, _, h) in layout.values())
    ax.set_xlim(-0.5, xmax + 0.5)
    ax.set_ylim(ymax + 1.4, -1.6)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


# ------------------------------------------------------------------ why backwards: work counts
def _check_widths(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths; got {sizes!r}")
    return [v.integer(n, f"sizes[{i}]", low=1) for i, n in enumerate(sizes)]


def count_work_path_by_path(sizes):
    r"""Multiplications to get every weight's :math:`\partial\ell/\partial W` for one example,
    each weight on its own by summing over every path from it to the output.

    For a weight :math:`W^{(l)}_{jk}` the chain rule gives
    :math:`a^{(l-1)}_k f'(z^{(l)}_j)\sum_{\text{paths}}\prod_{\text{edges}} W f' \cdot \partial\ell/\partial a^{(L)}_o`:
    there are :math:`P_l = \prod_{k>l} s_k` paths from unit j to the outputs, each
    with :math:`L-l` edges (two factors each, W and f') and the loss's factor,
    so :math:`2(L-l)+1` multiplications per path, plus two for
    :math:`a_k f'(z_j)`.  Nothing is reused between weights.  Returns an int.
    """
    s = _check_widths(sizes)
    L = len(s) - 1
    total = 0
    for l in range(1, L + 1):
        paths = int(np.prod(s[l + 1:], dtype=object)) if l < L else 1
        total += s[l] * s[l - 1] * (paths * (2 * (L - l) + 1) + 2)
    return int(total)


def count_work_backward(sizes):
    r"""Multiplications of one backward sweep for one example (every gradient included).

    Output δ: :math:`s_L` (:math:`\partial\ell/\partial a\odot f'`); each hidden
    layer: :math:`s_{l+1}s_l` for :math:`(W^{(l+1)})^{\mathsf T}\delta^{(l+1)}` and
    :math:`s_l` for :math:`\odot f'`; each layer's :math:`\delta\,a^{\mathsf T}`:
    :math:`s_l s_{l-1}`.  Returns an int — about twice the forward pass's work.
    """
    s = _check_widths(sizes)
    L = len(s) - 1
    total = s[L]
    for l in range(1, L):
        total += s[l + 1] * s[l] + s[l]
    for l in range(1, L + 1):
        total += s[l] * s[l - 1]
    return int(total)


def plot_work_counts(*, width=4, max_depth=10, depth=4, max_width=12, axes=None):
    """Two panels: the work of both methods against depth (fixed width) and width (fixed depth).

    Networks are ``[width] * (depth + 1)`` (``depth`` weight layers, every layer
    ``width`` units wide).  Log scale: the path-by-path count grows like
    width^depth, the backward sweep like depth · width².  Returns the ``Figure``.
    """
    width = v.integer(width, "width", low=1)
    depth = v.integer(depth, "depth", low=1)
    max_depth = v.integer(max_depth, "max_depth", low=2)
    max_width = v.integer(max_width, "max_width", low=2)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6))
    else:
        fig = axes[0].figure
    depths = np.arange(1, max_depth + 1)
    widths = np.arange(1, max_width + 1)
    for ax, xs, nets, xlabel, fixed in (
            (axes[0], depths, [[width] * (d + 1) for d in depths], "depth L (weight layers)",
             f"every layer {width} units wide"),
            (axes[1], widths, [[w] * (depth + 1) for w in widths], "width (units per layer)",
             f"L = {depth} weight layers")):
        path = [count_work_path_by_path(s) for s in nets]
        back = [count_work_backward(s) for s in nets]
        ax.plot(xs, path, "o-", color="#c44e52", label="each weight path by path")
        ax.plot(xs, back, "s-", color="#4c72b0", label="one backward sweep")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("multiplications per example")
        ax.set_title(fixed, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=9, loc="upper left")
    fig.suptitle("Work to get every ∂ℓ/∂W: forwards path by path vs one backward sweep",
                 fontsize=11)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ vanishing gradients
def delta_sizes(net, X, Y):
    """Root-mean-square of every layer's δ over the batch: a list of L floats, layer 1 first."""
    trace = net.backprop(X, Y)
    return [float(np.sqrt(np.mean(D * D))) for D in trace.deltas]


def plot_delta_sizes(*, depth=10, width=16, activations=("sigmoid", "tanh", "relu"), m=64,
                     n_in=8, seed=0, ax=None):
    r"""RMS size of δ⁽ˡ⁾ per layer in a deep network, one line per hidden activation.

    Each network is ``[n_in] + [width] * depth + [1]`` with a sigmoid output
    and squared error, the library's initialisation
    (:math:`\mathcal N(0, 1/s_{l-1})`, ReLU :math:`2/s_{l-1}`), and the same
    random batch.  Going back one layer multiplies δ by :math:`W^{\mathsf T}` and by
    :math:`f'(z)`: :math:`\sigma' \le 1/4` shrinks it at every layer,
    :math:`\tanh' \le 1` and ReLU's 0/1 much less.  Returns the ``Axes``.
    """
    depth = v.integer(depth, "depth", low=1)
    width = v.integer(width, "width", low=1)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_in))
    Y = (rng.random((m, 1)) < 0.5).astype(float)
    ax = _axes(ax, (6, 3.8))
    styles = {"sigmoid": ("o-", "#c44e52"), "tanh": ("s-", "#55a868"), "relu": ("^-", "#4c72b0"),
              "identity": ("d-", "0.4")}
    layers = np.arange(1, depth + 2)
    for name in activations:
        net = Network([n_in] + [width] * depth + [1], hidden=name, output="sigmoid", loss="mse",
                      seed=seed)
        marker, colour = styles.get(name, ("x-", None))
        ax.plot(layers, delta_sizes(net, X, Y), marker, color=colour, label=f"hidden: {name}")
    ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("layer l (l = L is the output)")
    ax.set_ylabel("RMS of $\\delta^{(l)}$")
    ax.set_title(f"Size of δ per layer, {depth} hidden layers of {width} units", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    ax.figure.tight_layout()
    return ax
