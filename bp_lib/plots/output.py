r"""Figures for chapter 3: the output layer's error term and its weight gradient.

* :func:`plot_output_gradient` — chapter 3's second result for one example,
  :math:`\partial\ell/\partial W^{(L)} = \delta^{(L)}\,(a^{(L-1)})^{\mathsf T}`:
  the last layer drawn with every edge coloured by its own gradient
  :math:`\delta_j a_k`, next to the outer product as column × row → matrix.
* :func:`plot_softmax_jacobian` — the full softmax Jacobian
  :math:`\partial a_k/\partial z_j = a_k(\mathbb 1[k=j] - a_j)` next to the
  diagonal-only matrix that treating softmax as element-wise keeps.

Both draw every panel on ONE symmetric colour scale with a colour bar, so
colours can be compared across panels.  They return the ``Figure`` and never
call ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Circle

from .. import _validate as v

_CMAP = "RdBu_r"        # blue < 0 < red, as in the chapter-4 figures


def _vector(value, name):
    arr = v.as_float_array(value, name, "a 1-D array of numbers")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (one example); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers; got {arr}")
    return arr


def _norm(*arrays):
    top = max(float(np.max(np.abs(a))) for a in arrays)
    top = top if top > 0 else 1.0
    return Normalize(-top, top)


def _heat(ax, M, norm, title, *, xlabel=None, ylabel=None, annotate=True):
    ax.imshow(M, cmap=_CMAP, norm=norm, aspect="equal")
    ax.set_xticks(range(M.shape[1]))
    ax.set_yticks(range(M.shape[0]))
    ax.tick_params(labelsize=9, length=0)
    if annotate:
        for (r, c), value in np.ndenumerate(M):
            dark = abs(value) > 0.6 * norm.vmax
            text = "0" if value == 0 else f"{value:+.3f}" if abs(value) < 0.01 else f"{value:+.2f}"
            ax.text(c, r, text,
                    ha="center", va="center", fontsize=8.5, color="white" if dark else "black")
    ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=9)


def plot_output_gradient(delta, a_prev, *, title=None):
    r"""Draw :math:`\partial\ell/\partial W^{(L)} = \delta\,a^{\mathsf T}` for one example.

    Parameters
    ----------
    delta : array ``(s_L,)``
        :math:`\delta^{(L)}` of one example.
    a_prev : array ``(s_{L-1},)``
        The activations :math:`a^{(L-1)}` feeding the last layer (same example).

    Left: the last layer, inputs on the left (labelled with :math:`a_k`),
    outputs on the right (filled with :math:`\delta_j`); the edge from input
    k to output j is coloured by its gradient :math:`\delta_j a_k` and drawn
    wider the larger :math:`|\delta_j a_k|` is.  Right: the column
    :math:`\delta` times the row :math:`a^{\mathsf T}` gives the matrix
    ``(s_L, s_{L-1})``, the shape of :math:`W^{(L)}`.  All colours share one
    symmetric scale (colour bar at the right).  Returns the ``Figure``.
    """
    delta = _vector(delta, "delta")
    a_prev = _vector(a_prev, "a_prev")
    G = np.outer(delta, a_prev)                           # (s_L, s_{L-1}): ∂ℓ/∂W
    s_L, s_prev = G.shape
    norm = _norm(delta, a_prev, G)
    cmap = plt.get_cmap(_CMAP)

    # Layout in inches: the network on the left, the outer-product table on the right
    # (δ as a column left of the matrix, aᵀ as a row above it), then the colour bar.
    c = 0.5                                               # one heat-map cell
    net_w, gap = 4.6, 1.3
    x0 = net_w + gap                                      # left edge of the matrix
    y0 = 1.0                                              # bottom edge of the matrix
    width = x0 + s_prev * c + 1.5
    height = max(y0 + (s_L + 1) * c + 1.35, 4.2)
    fig = plt.figure(figsize=(width, height))

    def box(x, y, w, h):
        return fig.add_axes([x / width, y / height, w / width, h / height])

    ax_net = box(0.05, 0.25, net_w, height - 0.9)
    ax_mat = box(x0, y0, s_prev * c, s_L * c)
    ax_row = box(x0, y0 + s_L * c + 0.55, s_prev * c, c)
    ax_col = box(x0 - 0.55 - c, y0, c, s_L * c)
    ax_bar = box(x0 + s_prev * c + 0.35, y0, 0.18, (s_L + 1) * c + 0.55)

    # -- the last layer, every edge coloured by its own gradient δ_j a_k
    y_in = np.linspace(1, -1, s_prev) if s_prev > 1 else np.zeros(1)
    y_out = np.linspace(0.7, -0.7, s_L) if s_L > 1 else np.zeros(1)
    widest = float(np.max(np.abs(G))) or 1.0
    for j in range(s_L):
        for k in range(s_prev):
            ax_net.plot([0, 2.4], [y_in[k], y_out[j]], color=cmap(norm(G[j, k])),
                        lw=0.8 + 4.5 * abs(G[j, k]) / widest, zorder=1, solid_capstyle="round")
    for k, y in enumerate(y_in):
        ax_net.add_patch(Circle((0, y), 0.11, facecolor=cmap(norm(a_prev[k])), edgecolor="0.3",
                                zorder=3))
        ax_net.text(-0.2, y, f"$a_{k + 1}$ = {a_prev[k]:.2f}", ha="right", va="center", fontsize=9.5)
    for j, y in enumerate(y_out):
        ax_net.add_patch(Circle((2.4, y), 0.11, facecolor=cmap(norm(delta[j])), edgecolor="0.3",
                                zorder=3))
        ax_net.text(2.6, y, f"$\\delta_{j + 1}$ = {delta[j]:+.2f}", ha="left", va="center",
                    fontsize=9.5)
    ax_net.text(-0.45, 1.3, "$a^{(L-1)}$, feeding the layer", ha="center", fontsize=9.5)
    ax_net.text(2.75, 1.3, "$\\delta^{(L)}$ of the outputs", ha="center", fontsize=9.5)
    ax_net.text(1.2, -1.3, "edge $k \\to j$ coloured by its gradient $\\delta_j\\,a_k$,\n"
                "drawn wider the larger it is", ha="center", va="top", fontsize=9.5)
    ax_net.set_xlim(-1.6, 3.9)
    ax_net.set_ylim(-1.75, 1.55)
    ax_net.set_aspect("equal")
    ax_net.axis("off")

    # -- the outer product as a multiplication table: entry (j, k) = δ_j × a_k
    _heat(ax_col, delta[:, None], norm, "$\\delta$")
    ax_col.set_xticks([])
    ax_col.set_ylabel("output unit $j$", fontsize=9)
    _heat(ax_row, a_prev[None, :], norm, "$(a^{(L-1)})^{T}$")
    ax_row.set_yticks([])
    _heat(ax_mat, G, norm, "", xlabel="input unit $k$\n"
          "$\\partial\\ell/\\partial W^{(L)} = \\delta\\,(a^{(L-1)})^{T}$: "
          "entry $(j,k)$ is $\\delta_j \\times a_k$")
    ax_mat.set_yticks([])
    for ax in (ax_col, ax_row, ax_mat):                # units counted from 1, as in the text
        ax.set_xticks(ax.get_xticks(), [str(int(t) + 1) for t in ax.get_xticks()])
        ax.set_yticks(ax.get_yticks(), [str(int(t) + 1) for t in ax.get_yticks()])
    fig.text((x0 - 0.55 - c / 2) / width, (y0 + s_L * c + 0.55 + c / 2) / height, "×",
             ha="center", va="center", fontsize=18)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=ax_bar,
                 label="one scale for every colour")
    fig.suptitle(title or f"One example: the ({s_L} × 1) column δ times the (1 × {s_prev}) row "
                 f"$a^{{T}}$ gives the ({s_L} × {s_prev}) gradient, the shape of $W^{{(L)}}$",
                 fontsize=11, y=0.98)
    return fig


def plot_softmax_jacobian(a, *, title=None):
    r"""The softmax Jacobian of one example beside its diagonal-only version.

    ``a`` ``(K,)``: softmax outputs (positive, summing to 1).  Left:
    :math:`J_{kj} = \partial a_k/\partial z_j = a_k(\mathbb 1[k=j] - a_j)`.
    Right: what treating softmax as element-wise (document 001, (9.26)–(9.27))
    keeps, :math:`\mathrm{diag}(a_k(1-a_k))` — the off-diagonal entries set to 0.
    One colour scale, one colour bar.  Returns the ``Figure``.
    """
    a = _vector(a, "a")
    if np.any(a <= 0) or abs(float(a.sum()) - 1.0) > 1e-9:
        raise ValueError(f"a must be softmax outputs (positive, summing to 1); got {a} "
                         f"(sum {float(a.sum()):.6g})")
    J = np.diag(a) - np.outer(a, a)
    D = np.diag(np.diag(J))
    norm = _norm(J)
    fig, (ax1, ax2, cax) = plt.subplots(1, 3, figsize=(8.6, 3.7),
                                        gridspec_kw={"width_ratios": [1, 1, 0.06]})
    _heat(ax1, J, norm, "full Jacobian $a_k(\\mathbb{1}[k=j]-a_j)$",
          xlabel="$j$ (the $z_j$ nudged)", ylabel="$k$ (the output $a_k$)")
    _heat(ax2, D, norm, "element-wise: $\\mathrm{diag}\\,a_k(1-a_k)$",
          xlabel="$j$ (the $z_j$ nudged)")
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=_CMAP), cax=cax, label="$\\partial a_k/\\partial z_j$")
    fig.suptitle(title or "Softmax: every output moves when any $z_j$ moves (rows sum to 0)",
                 fontsize=11)
    fig.tight_layout()
    return fig
