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
* :func:`gradient_cost` and :func:`plot_gradient_costs` — the multiplications
  four ways of getting every parameter's derivative need (path enumeration,
  finite differences, one forward-mode sweep per parameter, one backward sweep).
* :func:`plot_delta_recursion` — one example's δ on one shared colour scale, edges
  drawn with their weights, one hidden unit's recursion spelled out.
* :func:`plot_backward_steps` — the book version of the δ stepper: a few backward
  steps as large matrices (Δ, W, f′, dW) with colour bars.
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
from .core import check_network
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
    trace = check_network(net).backprop(X, Y)
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
    from ..network import ForwardTrace
    v.instance(trace, "trace", ForwardTrace, "a bp_lib ForwardTrace or BackpropTrace "
               "(net.forward_trace(X) or net.backprop(X, Y))")
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
    with :math:`L-l` edges (two factors each, W and f') and the loss's factor.
    This older count charges :math:`2(L-l)+1` per path, one per *factor*
    (multiplying them takes one fewer), plus two for :math:`a_k f'(z_j)`, and
    leaves out biases and the forward pass.  Chapter 4 now uses
    :func:`gradient_cost`, which counts multiplications exactly.  Returns an int.
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
    r"""The size of every layer's δ: :math:`\sqrt{\frac1m\sum_i\lVert\delta^{(l)}_{[i]}\rVert^2}`, the
    root mean square over the batch of each example's whole δ vector (so layers of different
    widths compare fairly); a list of L floats, layer 1 first."""
    trace = net.backprop(X, Y)
    return [float(np.sqrt(np.sum(D * D) / D.shape[0])) for D in trace.deltas]


def plot_delta_sizes(*, depth=10, width=16, activations=("sigmoid", "tanh", "relu"), m=64,
                     n_in=8, seed=0, ax=None):
    r"""The size of δ⁽ˡ⁾ per layer (:func:`delta_sizes`) in a deep network, one line per hidden activation.

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
    ax.set_ylabel("size of $\\delta^{(l)}$ (RMS over the batch of $\\|\\delta_{[i]}\\|$)")
    ax.set_title(f"Size of δ per layer, {depth} hidden layers of {width} units", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    ax.figure.tight_layout()
    return ax


# ------------------------------------------------------------------ why backwards: four methods
GRADIENT_METHODS = ("paths", "finite_differences", "forward_mode", "forward_mode_units", "backward")


def gradient_cost(sizes, method):
    r"""Multiplications one example needs to get :math:`\partial\ell/\partial\theta` for every
    weight and bias θ of a network with widths ``sizes`` (``[s_0, …, s_L]``).

    What is counted: products with a weight, with a chain-rule factor (f′, a,
    ∂ℓ/∂a), and the squares of the loss :math:`\ell=\tfrac12\lVert a-y\rVert^2`
    (evaluating f, f′ and additions are free).  With
    :math:`F=\sum_{l=1}^{L}s_l s_{l-1}` (one forward pass),
    :math:`P_l = s_l s_{l-1} + s_l` parameters in layer l and :math:`P=\sum_l P_l`:

    * ``"forward"`` — one forward pass: :math:`F`.
    * ``"backward"`` — forward pass, :math:`\delta^{(L)}=(a-y)\odot f'` (:math:`s_L`), then
      per layer :math:`\delta a^{\mathsf T}` (:math:`s_l s_{l-1}`) and, for l > 1,
      :math:`(W^{\mathsf T}\delta)\odot f'` (:math:`s_l s_{l-1} + s_{l-1}`):
      :math:`F + s_L + \sum_{l=1}^{L} s_l s_{l-1} + \sum_{l=2}^{L}(s_l s_{l-1} + s_{l-1})`.
    * ``"finite_differences"`` — centred: two forward passes and two losses per
      parameter: :math:`2P(F + s_L)`.
    * ``"forward_mode"`` — one forward pass, :math:`g=(a-y)\odot f'(z^{(L)})` once
      (:math:`s_L`), then for every parameter of layer k one tangent sweep
      :math:`\dot a=f'\odot\dot z`, :math:`\dot z = W\dot a` through layers k+1 … L
      and :math:`g\cdot\dot z^{(L)}`:
      :math:`F + s_L + \sum_k P_k\big(\sum_{l=k+1}^{L}(s_{l-1}+s_l s_{l-1}) + s_L\big)`.
    * ``"forward_mode_units"`` — the same sweeps, one per **unit** instead of per parameter:
      every weight and the bias into unit j of layer k act through :math:`z^{(k)}_j` alone,
      so one sweep with :math:`\dot z^{(k)} = e_j` gives :math:`\partial\ell/\partial z^{(k)}_j`,
      and that unit's weights cost :math:`s_{k-1}` more (times :math:`a^{(k-1)}`):
      :math:`F + s_L + \sum_k s_k\big(\sum_{l=k+1}^{L}(s_{l-1}+s_l s_{l-1}) + s_L + s_{k-1}\big)`.
    * ``"paths"`` — one forward pass, then every parameter on its own, summing over its
      :math:`N_l=\prod_{t>l}s_t` paths to the outputs; a path of :math:`L-l` edges costs
      :math:`2(L-l)` multiplications (a W and an f′ per edge), and the sum is multiplied
      by :math:`f'(z_j)` and, for a weight, by :math:`a_k`:
      :math:`F + \sum_l \big[s_l s_{l-1}(2(L-l)N_l + 2) + s_l(2(L-l)N_l + 1)\big]`.

    Returns an int (Python ints, exact for any size).
    """
    s = _check_widths(sizes)
    if method not in GRADIENT_METHODS + ("forward",):
        raise ValueError(f"method must be one of {GRADIENT_METHODS + ('forward',)}; "
                         f"got {method!r}")
    L = len(s) - 1
    F = sum(s[l] * s[l - 1] for l in range(1, L + 1))
    P = [0] + [s[l] * s[l - 1] + s[l] for l in range(1, L + 1)]
    if method == "forward":
        return F
    if method == "backward":
        return (F + s[L] + sum(s[l] * s[l - 1] for l in range(1, L + 1))
                + sum(s[l] * s[l - 1] + s[l - 1] for l in range(2, L + 1)))
    if method == "finite_differences":
        return 2 * sum(P) * (F + s[L])
    sweep = [sum(s[l - 1] + s[l] * s[l - 1] for l in range(k + 1, L + 1)) + s[L]
             for k in range(L + 1)]                  # one tangent sweep from layer k, and g · ż
    if method == "forward_mode":
        return F + s[L] + sum(P[k] * sweep[k] for k in range(1, L + 1))
    if method == "forward_mode_units":
        return F + s[L] + sum(s[k] * (sweep[k] + s[k - 1]) for k in range(1, L + 1))
    total = F
    for l in range(1, L + 1):
        paths = 1
        for t in range(l + 1, L + 1):
            paths *= s[t]
        per_path = 2 * (L - l) * paths
        total += s[l] * s[l - 1] * (per_path + 2) + s[l] * (per_path + 1)
    return total


_METHOD_STYLE = {
    "paths": ("o-", "#c44e52", "enumerate every path, each parameter alone"),
    "finite_differences": ("v-", "#8172b2", "finite differences (2 passes per parameter)"),
    "forward_mode": ("D-", "#dd8452", "one forward-mode sweep per parameter"),
    "forward_mode_units": ("^-", "#937860", "one forward-mode sweep per unit"),
    "backward": ("s-", "#4c72b0", "one backward sweep (backprop)"),
    "forward": ("--", "0.45", "one forward pass (for scale)"),
}


def plot_gradient_costs(*, width=10, max_depth=8, depth=3, max_width=40, axes=None):
    r"""Two panels, log scale: :func:`gradient_cost` of every method against depth
    (networks ``[width] * (d + 1)``) and against width (``[w] * (depth + 1)``).

    The gap between path enumeration and the rest is the reuse of sums (it grows
    exponentially with depth); the gap between the per-parameter methods and the
    backward sweep is a factor of about the number of parameters, and of about the number of
    units for a forward mode that sweeps once per unit.  Returns the ``Figure``.
    """
    width = v.integer(width, "width", low=1)
    depth = v.integer(depth, "depth", low=1)
    max_depth = v.integer(max_depth, "max_depth", low=2)
    max_width = v.integer(max_width, "max_width", low=2)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    else:
        fig = axes[0].figure
    depths = np.arange(1, max_depth + 1)
    widths = np.arange(2, max_width + 1, 2)
    for ax, xs, nets, xlabel, title in (
            (axes[0], depths, [[width] * (d + 1) for d in depths], "depth L (weight layers)",
             f"every layer {width} units wide"),
            (axes[1], widths, [[w] * (depth + 1) for w in widths], "width (units per layer)",
             f"L = {depth} weight layers")):
        for method in ("paths", "finite_differences", "forward_mode", "forward_mode_units",
                       "backward", "forward"):
            style, colour, label = _METHOD_STYLE[method]
            ax.plot(xs, [gradient_cost(s, method) for s in nets], style, color=colour,
                    label=label, ms=4)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel, fontsize=11)
        ax.set_ylabel("multiplications per example", fontsize=11)
        ax.set_title(title, fontsize=11)
        ax.tick_params(labelsize=10)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=9, loc="upper left")
    fig.suptitle("Work to get every ∂ℓ/∂θ of one example, five ways", fontsize=12)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ δ recursion, one shared scale
def _delta_norm(values):
    """A symmetric log colour scale for δ values spanning several powers of ten."""
    from matplotlib.colors import SymLogNorm
    top = max(float(np.max(np.abs(values))), 1e-300)
    top = 10.0 ** np.ceil(np.log10(top))
    return SymLogNorm(linthresh=top * 1e-4, linscale=0.3, vmin=-top, vmax=top, base=10)


def plot_delta_recursion(net, X, Y, ax=None, *, example=0, unit=None, title=None):
    r"""One example's δ in every layer on ONE colour scale, edges drawn with their weights.

    Units of layers 1 … L are filled with :math:`\delta^{(l)}_j` of example
    ``example`` on a single symmetric logarithmic scale (blue < 0 < red) with a
    colour bar, so that a δ ten times smaller is visibly paler; each unit's value
    is written beside it.  Edges have width ∝ |W| (red W > 0, blue W < 0).  The
    hidden unit ``unit = (l, i)`` (default: the first unit of layer L−1) has its
    outgoing edges — the weights :math:`W^{(l+1)}_{ji}` its δ collects through —
    drawn dark, the others faint, and its recursion
    :math:`\delta^{(l)}_i = f'(z^{(l)}_i)\sum_j W^{(l+1)}_{ji}\delta^{(l+1)}_j` is
    written out with the numbers.  Returns the ``Axes``.
    """
    trace = net.backprop(X, Y)
    example = v.integer(example, "example", low=0, high=trace.deltas[0].shape[0] - 1)
    L = net.n_layers
    if L < 2:
        raise ValueError(f"net must have a hidden layer; got sizes {net.sizes}")
    sizes = net.sizes
    if unit is None:
        unit = (L - 1, 0)
    if not isinstance(unit, (tuple, list)) or len(unit) != 2:
        raise TypeError(f"unit must be a pair (l, i); got {unit!r}")
    ul = v.integer(unit[0], "unit[0]", low=1, high=L - 1)
    ui = v.integer(unit[1], "unit[1]", low=0, high=sizes[ul] - 1)
    deltas = [D[example] for D in trace.deltas]
    norm = _delta_norm(np.concatenate(deltas))
    cmap = plt.get_cmap("RdBu_r")
    if ax is None:
        fig, ax = plt.subplots(figsize=(2.6 * (L + 1) + 3.2, 5.6))
    fig = ax.figure
    xs = np.arange(L + 1) * 2.6
    ys = [np.linspace(1, -1, n) * min(1.0, 0.25 * (n - 1)) if n > 1 else np.zeros(1)
          for n in sizes]
    wmax = max(float(np.max(np.abs(W))) for W in net.weights)
    for l in range(1, L + 1):
        W = net.weights[l - 1]
        for j, y1 in enumerate(ys[l]):
            for k, y0 in enumerate(ys[l - 1]):
                on = (l - 1 == ul and k == ui)
                colour = "#b2182b" if W[j, k] > 0 else "#2166ac"
                ax.plot([xs[l - 1], xs[l]], [y0, y1], color=colour,
                        lw=0.4 + 4.0 * abs(W[j, k]) / wmax, alpha=0.95 if on else 0.18,
                        zorder=2 if on else 1)
    for l in range(L + 1):
        for j, y in enumerate(ys[l]):
            if l == 0:
                face = "0.85"
            else:
                face = cmap(norm(deltas[l - 1][j]))
            ring = (l == ul and j == ui)
            ax.add_patch(Circle((xs[l], y), 0.15, facecolor=face,
                                edgecolor=_HIGHLIGHT if ring else "0.25", lw=2.5 if ring else 0.8,
                                zorder=3))
            if l > 0:
                ax.text(xs[l] + 0.2, y + 0.02, f"{deltas[l - 1][j]:+.1e}", fontsize=9,
                        ha="left", va="center", zorder=4)
        head = ("input $x$\n(no δ)" if l == 0 else
                (f"layer {l}: $\\delta^{{({l})}}$" + ("  (output)" if l == L else "")))
        ax.text(xs[l], 1.35, head, ha="center", va="bottom", fontsize=10.5)
    # backward arrows: from layer l+1 to layer l, for l = L-1 … 1 (the input has no δ)
    y_arrow = -1.45
    for l in range(L - 1, 0, -1):
        ax.add_patch(FancyArrowPatch((xs[l + 1] - 0.25, y_arrow), (xs[l] + 0.25, y_arrow),
                                     arrowstyle="-|>", mutation_scale=15, lw=1.8,
                                     color=_HIGHLIGHT, zorder=2))
        ax.text((xs[l] + xs[l + 1]) / 2, y_arrow - 0.13,
                f"$(W^{{({l + 1})}})^{{T}}\\,\\cdot$ , then $\\odot f'(z^{{({l})}})$",
                ha="center", va="top", fontsize=10)
    # the highlighted unit's recursion, with numbers
    W = net.weights[ul]
    fpz = float(_act_derivative(net, ul, trace.zs[ul - 1][example])[ui])
    terms = " + ".join(f"({W[j, ui]:+.2f})({deltas[ul][j]:+.1e})" for j in range(sizes[ul + 1]))
    text = (f"unit {ui + 1} of layer {ul}:  "
            f"$\\delta^{{({ul})}}_{{{ui + 1}}} = f'(z^{{({ul})}}_{{{ui + 1}}})"
            f"\\sum_j W^{{({ul + 1})}}_{{j{ui + 1}}}\\,\\delta^{{({ul + 1})}}_j$\n"
            f"= {fpz:.3f} × [{terms}] = {deltas[ul - 1][ui]:+.2e}")
    ax.text(xs[0] - 0.5, -2.05, text, ha="left", va="top", fontsize=10,
            bbox=dict(boxstyle="round", fc="#fbe5d6", ec=_HIGHLIGHT))
    ax.set_xlim(xs[0] - 0.6, xs[-1] + 1.4)
    ax.set_ylim(-2.75, 1.9)
    ax.set_aspect("equal")
    ax.axis("off")
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(sm, ax=ax, fraction=0.035, pad=0.01)
    bar.set_label("$\\delta$ (one scale for every layer; symmetric log)", fontsize=10)
    bar.ax.tick_params(labelsize=9)
    ax.set_title(title or f"δ of example {example}, from the output backwards; "
                 "edge width ∝ |W|, red W > 0, blue W < 0", fontsize=11)
    return ax


def _act_derivative(net, l, z):
    """f'(z) of weight layer l (1-based) for an element-wise activation, one example."""
    from .. import activations as _act
    act = _act.get(net.layer_activation(l))
    z = np.asarray(z, dtype=float)[None, :]
    return act.backward(z, None, np.ones_like(z))[0]


# ------------------------------------------------------------------ the stepper, for a book
def plot_backward_steps(net, X, Y, layers=None, *, annotate=True):
    r"""The backward pass of a batch as a few large matrix equations, one row per step.

    Row for hidden layer l (``layers``, default ``L-1, …, 1``):
    :math:`\Delta^{(l+1)}\,W^{(l+1)} \odot f'(Z^{(l)}) = \Delta^{(l)}`, and beside it the
    gradient the same :math:`\Delta^{(l+1)}` gives,
    :math:`\partial J/\partial W^{(l+1)} = \Delta^{(l+1)\mathsf T}A^{(l)}/m`.  Every
    matrix is a heat map (examples as rows) with its entries written in when
    ``annotate``; every Δ of the figure shares one colour scale, so the shrinking
    from row to row is visible; W, f′ and dW have colour bars of their own.
    Returns the ``Figure``.
    """
    trace = net.backprop(X, Y)
    L = net.n_layers
    if L < 2:
        raise ValueError(f"net must have a hidden layer; got sizes {net.sizes}")
    if layers is None:
        layers = list(range(L - 1, 0, -1))
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a list of hidden layer numbers; got {layers!r}")
    layers = [v.integer(l, "layers[...]", low=1, high=L - 1) for l in layers]
    if not layers:
        raise ValueError("layers must name at least one hidden layer (1 … L-1); got none")
    m = X.shape[0]
    from matplotlib.colors import Normalize
    dnorm = _delta_norm(np.concatenate([D.ravel() for D in trace.deltas]))
    wtop = max(float(np.max(np.abs(net.weights[l]))) for l in layers)
    wnorm = Normalize(-wtop, wtop)
    fps = {l: _act_derivative_batch(net, l, trace.zs[l - 1]) for l in layers}
    fnorm = Normalize(0.0, max(float(np.max(fp)) for fp in fps.values()))
    gtop = max(float(np.max(np.abs(trace.dW[l]))) for l in layers)
    gnorm = Normalize(-gtop, gtop)
    op_w, gap = 1.3, 0.5
    total_w = max(net.sizes[l + 1] + 4 * net.sizes[l] for l in layers) + 4 * op_w + 5 * gap
    height = max(max(m, net.sizes[l + 1]) for l in layers)
    unit = 0.40                          # inches per matrix entry
    fig = plt.figure(figsize=(0.4 + unit * total_w,
                              1.0 + len(layers) * (unit * (height + 2.6) + 0.3)))
    grid = fig.add_gridspec(len(layers) + 1, 1,
                            height_ratios=[unit * (height + 2.6) + 0.3] * len(layers) + [0.45])
    axes = np.array([[fig.add_subplot(grid[r, 0])] for r in range(len(layers))])
    bar_axes = grid[len(layers), 0].subgridspec(1, 4, wspace=0.35)
    cmaps = {"delta": "RdBu_r", "W": "PuOr_r", "fp": "viridis", "dW": "PiYG"}
    for ax, l in zip(axes[:, 0], layers):
        sup, sup1 = str(l).translate(_SUPERSCRIPTS), str(l + 1).translate(_SUPERSCRIPTS)
        blocks = [(f"Δ⁽{sup1}⁾", trace.deltas[l], "delta", dnorm), ("@", None, None, None),
                  (f"W⁽{sup1}⁾", net.weights[l], "W", wnorm), ("⊙", None, None, None),
                  (f"f′(Z⁽{sup}⁾)", fps[l], "fp", fnorm), ("=", None, None, None),
                  (f"Δ⁽{sup}⁾", trace.deltas[l - 1], "delta", dnorm), ("   ", None, None, None),
                  (f"∂J/∂W⁽{sup1}⁾\n= Δ⁽{sup1}⁾ᵀA⁽{sup}⁾/m", trace.dW[l], "dW", gnorm)]
        x = 0.0
        for name, M, kind, norm in blocks:
            if M is None:
                ax.text(x + op_w / 2, height / 2, name, fontsize=18, ha="center", va="center")
                x += op_w
                continue
            h, w = M.shape
            ax.imshow(M, cmap=cmaps[kind], norm=norm, extent=(x, x + w, h, 0),
                      interpolation="nearest")
            ax.add_patch(Rectangle((x, 0), w, h, fill=False, edgecolor="0.3", lw=0.8))
            if annotate:
                for r in range(h):
                    for c in range(w):
                        val = M[r, c]
                        txt = f"{val:.2f}" if kind in ("W", "fp") else f"{val:.0e}".replace("e-0", "e-")
                        rgb = plt.get_cmap(cmaps[kind])(norm(val))[:3]
                        dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 0.45
                        ax.text(x + c + 0.5, r + 0.5, txt, ha="center", va="center", fontsize=7,
                                color="white" if dark else "black")
            shape = f"({h}×{w})"
            ax.text(x + w / 2, -0.3, f"{name}\n{shape}", ha="center", va="bottom", fontsize=10)
            x += w + gap
        ax.set_xlim(-0.2, x)
        ax.set_ylim(height + 0.2, -2.4)
        ax.set_aspect("equal")
        ax.axis("off")
        fpn = {"sigmoid": "σ′", "tanh": "tanh′", "relu": "relu′"}.get(net.layer_activation(l), "f′")
        ax.set_title(f"backward step into layer {l}:  Δ⁽{sup}⁾ = (Δ⁽{sup1}⁾ W⁽{sup1}⁾) ⊙ "
                     f"{fpn}(Z⁽{sup}⁾);  rows of Δ, f′ are the {m} examples", fontsize=11,
                     loc="left")
    for c, (kind, norm, label) in enumerate((("delta", dnorm, "Δ (one scale for every row)"),
                                             ("W", wnorm, "W"), ("fp", fnorm, "f′(Z)"),
                                             ("dW", gnorm, "∂J/∂W"))):
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmaps[kind])
        bar = fig.colorbar(sm, cax=fig.add_subplot(bar_axes[0, c]), orientation="horizontal")
        bar.set_label(label, fontsize=10)
        bar.ax.tick_params(labelsize=8)
        if kind == "delta":
            top = norm.vmax
            bar.set_ticks([-top, -top / 100, 0, top / 100, top])
        elif kind == "dW":
            bar.set_ticks([-gtop, 0.0, gtop], labels=[f"{-gtop:.1e}", "0", f"{gtop:.1e}"])
    return fig


def _act_derivative_batch(net, l, Z):
    from .. import activations as _act
    act = _act.get(net.layer_activation(l))
    return act.backward(Z, None, np.ones_like(Z))
