r"""Figures for chapters 1–2: activation functions, losses of one output unit, cost surfaces.

Like every plotting module here, each function draws on a matplotlib ``Axes``
(a new figure when ``ax`` is None), returns it (a list of them for
:func:`plot_activations`) and never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import _validate as v
from .. import activations as _act
from .. import losses as _losses

_ELEMENTWISE = ("sigmoid", "tanh", "relu", "identity")
_F_COLOUR, _D_COLOUR = "#4c72b0", "#dd8452"
_MSE_COLOUR, _CE_COLOUR = "#c44e52", "#55a868"


def _axes(ax, figsize, **kwargs):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, **kwargs)
    return ax


def _grid_1d(z, name, default):
    if z is None:
        return default
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or z.size < 2 or not np.all(np.isfinite(z)):
        raise ValueError(f"{name} must be a 1-D array of at least 2 finite numbers; got shape "
                         f"{z.shape}")
    return z


def _style(ax, xlabel, ylabel=None):
    ax.axhline(0.0, color="0.6", lw=0.6, zorder=0)
    ax.axvline(0.0, color="0.6", lw=0.6, zorder=0)
    ax.grid(alpha=0.25)
    ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)


# ------------------------------------------------------------ activations
def plot_activation(name, ax=None, *, z=None):
    r"""Draw an element-wise activation :math:`f(z)` and its derivative :math:`f'(z)`.

    name : one of ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"`` (softmax is
        not element-wise: see :func:`plot_softmax`).
    z : 1-D grid of pre-activations (default −6 … 6).
    Returns the ``Axes`` (two lines, labelled ``f(z)`` and ``f'(z)``).
    """
    if name == "softmax":
        raise ValueError("softmax is not element-wise (each output depends on the whole row "
                         "of z); draw it with plot_softmax")
    v.choice(name, "name", _ELEMENTWISE)
    z = _grid_1d(z, "z", np.linspace(-6.0, 6.0, 401))
    act = _act.ACTIVATIONS[name]
    ax = _axes(ax, (3.4, 2.8))
    ax.plot(z, act.f(z), color=_F_COLOUR, lw=2, label="$f(z)$", zorder=3)    # on top where f' = f
    if name == "relu":          # draw the jump of f' as a jump, not a steep line
        neg, pos = z[z < 0], z[z > 0]
        ax.plot(neg, act.derivative(neg), color=_D_COLOUR, lw=2, ls="--", label="$f'(z)$")
        ax.plot(pos, act.derivative(pos), color=_D_COLOUR, lw=2, ls="--")
    else:
        ax.plot(z, act.derivative(z), color=_D_COLOUR, lw=2, ls="--", label="$f'(z)$")
    if name in ("sigmoid", "tanh"):      # the peak slope, the number chapters 2 and 4 lean on
        peak = float(act.derivative(np.zeros(1))[0])
        ax.axhline(peak, color=_D_COLOUR, lw=0.8, ls=":", label=f"max $f'$ = {peak:g}")
    _style(ax, "$z$")
    if name in ("sigmoid", "tanh"):
        ax.set_ylim(-1.15 if name == "tanh" else -0.1, 1.15)
    else:
        ax.set_ylim(-1.5, min(float(z.max()), 4.0) + 0.5)
    ax.set_title(name)
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return ax


def plot_activations(names=_ELEMENTWISE, axes=None, *, z=None):
    """:func:`plot_activation` for several activations side by side; returns the list of ``Axes``."""
    names = list(names)
    if not names:
        raise ValueError("names must list at least one activation")
    if axes is None:
        _, axes = plt.subplots(1, len(names), figsize=(3.0 * len(names), 2.9))
    axes = list(np.atleast_1d(axes))
    if len(axes) != len(names):
        raise ValueError(f"axes must hold one Axes per name ({len(names)}); got {len(axes)}")
    for name, ax in zip(names, axes):
        plot_activation(name, ax, z=z)
    return axes


def plot_softmax(ax=None, *, others=(0.0, 1.0), z=None):
    r"""Softmax of the logits ``(z_1, *others)`` as :math:`z_1` varies: every output moves.

    others : the fixed logits :math:`z_2, z_3, \dots` (at least one).
    Returns the ``Axes`` (one line per output :math:`a_k`).
    """
    others = np.asarray(others, dtype=np.float64).ravel()
    if others.size < 1 or not np.all(np.isfinite(others)):
        raise ValueError(f"others must hold at least one finite logit; got {others!r}")
    z = _grid_1d(z, "z", np.linspace(-6.0, 6.0, 401))
    Z = np.column_stack([z, np.tile(others, (z.size, 1))])
    A = _act.softmax(Z)
    ax = _axes(ax, (3.8, 2.8))
    fixed = ", ".join(f"$z_{k + 2}$={o:g}" for k, o in enumerate(others))
    for k in range(A.shape[1]):
        label = f"$a_{k + 1}$" + (" (its own logit varies)" if k == 0 else "")
        ax.plot(z, A[:, k], lw=2, label=label)
    ax.plot(z, A.sum(axis=1), color="0.3", lw=1, ls=":", label=r"$\sum_k a_k = 1$")
    _style(ax, "$z_1$")
    ax.set_ylim(-0.05, 1.1)
    ax.set_title(f"softmax, with {fixed}", fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8, framealpha=0.9)
    return ax


# ------------------------------------------- one sigmoid output: two losses
def _check_target(y):
    y = v.real(y, "y", low=0.0, high=1.0)
    return y


def _mark_logit(ax, mark, values):
    """A dotted vertical line at z = mark and a dot on each curve, value written beside it."""
    mark = v.real(mark, "mark")
    ax.axvline(mark, color="0.4", ls=":", lw=1.0, zorder=1)
    for value, colour in values:
        ax.plot(mark, value, "o", color=colour, markersize=5, markeredgecolor="k", zorder=4)
        ax.annotate(f"{value:+.4f}", (mark, value), textcoords="offset points", xytext=(6, 4),
                    fontsize=8, color=colour)


def plot_losses_vs_logit(y=1.0, ax=None, *, z=None, mark=None):
    r"""Loss of one sigmoid output :math:`a=\sigma(z)` with target ``y``, as a function of z.

    Squared error :math:`\tfrac12(a-y)^2` and binary cross-entropy
    :math:`-[y\log a+(1-y)\log(1-a)]` (computed stably from z).
    mark : optional z at which both losses are marked and their values written.
    Returns the ``Axes`` (two lines first).
    """
    y = _check_target(y)
    z = _grid_1d(z, "z", np.linspace(-8.0, 8.0, 401))
    a = _act.sigmoid(z)
    Y = np.full((z.size, 1), y)
    mse = _losses.mse(a[:, None], Y)
    ce = _losses.sigmoid_cross_entropy_from_logits(z[:, None], Y)
    ax = _axes(ax, (4.2, 3.0))
    ax.plot(z, mse, color=_MSE_COLOUR, lw=2, label=r"squared error $\frac{1}{2}(a-y)^2$")
    ax.plot(z, ce, color=_CE_COLOUR, lw=2, ls="--", label="cross-entropy")
    _style(ax, r"$z$ (the output unit's pre-activation; $a=\sigma(z)$)", r"loss $\ell$")
    if mark is not None:
        zm = np.array([[v.real(mark, "mark")]])
        am = _act.sigmoid(zm)
        Ym = np.full((1, 1), y)
        _mark_logit(ax, mark, [(float(_losses.mse(am, Ym)[0]), _MSE_COLOUR),
                               (float(_losses.sigmoid_cross_entropy_from_logits(zm, Ym)[0]),
                                _CE_COLOUR)])
    ax.set_title(f"one sigmoid output, target y = {y:g}", fontsize=10)
    ax.legend(fontsize=8, framealpha=0.9)
    return ax


def plot_loss_slopes_vs_logit(y=1.0, ax=None, *, z=None, mark=None):
    r"""The slopes :math:`\partial\ell/\partial z` of the two losses of :func:`plot_losses_vs_logit`.

    Squared error: :math:`(a-y)\,\sigma'(z) = (a-y)\,a(1-a)`; cross-entropy: :math:`a-y`.
    mark : optional z at which both slopes are marked and their values written.
    Returns the ``Axes`` (two lines first).
    """
    y = _check_target(y)
    z = _grid_1d(z, "z", np.linspace(-8.0, 8.0, 401))
    a = _act.sigmoid(z)
    ax = _axes(ax, (4.2, 3.0))
    ax.plot(z, (a - y) * a * (1.0 - a), color=_MSE_COLOUR, lw=2,
            label=r"squared error: $(a-y)\,a(1-a)$")
    ax.plot(z, a - y, color=_CE_COLOUR, lw=2, ls="--", label=r"cross-entropy: $a-y$")
    _style(ax, r"$z$", r"slope $\partial\ell/\partial z$")
    if mark is not None:
        am = float(_act.sigmoid(np.array([v.real(mark, "mark")]))[0])
        _mark_logit(ax, mark, [((am - y) * am * (1.0 - am), _MSE_COLOUR), (am - y, _CE_COLOUR)])
    ax.set_title(f"their slopes (target y = {y:g})", fontsize=10)
    ax.legend(fontsize=8, framealpha=0.9)
    return ax


# ----------------------------------------------------------- cost surfaces
def cost_on_grid(cost, w1, w2):
    """Evaluate ``cost(a, b)`` (a float) on every pair of the 1-D grids ``w1`` × ``w2``.

    Returns ``J`` of shape ``(len(w2), len(w1))`` (rows follow ``w2``, as
    ``np.meshgrid`` and ``contour`` expect).
    """
    if not callable(cost):
        raise TypeError(f"cost must be a function cost(w1, w2) -> float; got {type(cost).__name__}")
    w1 = _grid_1d(w1, "w1", None)
    w2 = _grid_1d(w2, "w2", None)
    J = np.empty((w2.size, w1.size))
    for i, b in enumerate(w2):
        for j, a in enumerate(w1):
            J[i, j] = float(cost(float(a), float(b)))
    return J


def _check_grid(w1, w2, J):
    w1 = _grid_1d(w1, "w1", None)
    w2 = _grid_1d(w2, "w2", None)
    J = np.asarray(J, dtype=np.float64)
    if J.shape != (w2.size, w1.size):
        raise ValueError(f"J must have shape (len(w2), len(w1)) = ({w2.size}, {w1.size}); got "
                         f"{J.shape} (see cost_on_grid)")
    if not np.all(np.isfinite(J)):
        raise ValueError("J must contain only finite costs")
    return w1, w2, J


def plot_cost_contours(w1, w2, J, ax=None, *, labels=("$w_1$", "$w_2$"), levels=20,
                       mark=None, title=None, colorbar=True, show_min=True):
    """Filled contours of a cost over two parameters, lowest grid point starred.

    w1, w2 : the 1-D grids; J : ``(len(w2), len(w1))`` from :func:`cost_on_grid`.
    mark : optional ``(w1, w2)`` point to mark with a cross (e.g. the initial weights).
    show_min : star the lowest grid point (turn off when the minimum lies on the edge).
    Returns the ``Axes``.
    """
    w1, w2, J = _check_grid(w1, w2, J)
    ax = _axes(ax, (4.2, 3.6))
    filled = ax.contourf(w1, w2, J, levels=levels, cmap="viridis")
    ax.contour(w1, w2, J, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    if show_min:
        i, j = np.unravel_index(np.argmin(J), J.shape)
        ax.plot(w1[j], w2[i], marker="*", color="white", markersize=13, markeredgecolor="k",
                label=f"lowest on grid: J = {J[i, j]:.3g}")
    if mark is not None:
        ax.plot(mark[0], mark[1], marker="X", color="#dd8452", markersize=9,
                markeredgecolor="k", label="marked point")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if show_min or mark is not None:
        ax.legend(fontsize=8, loc="upper right", framealpha=0.9)
    if colorbar:
        ax.figure.colorbar(filled, ax=ax, label="cost J")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_cost_surface(w1, w2, J, ax=None, *, labels=("$w_1$", "$w_2$"), title=None):
    """The same cost as a 3-D surface (``ax`` must be a 3-D Axes, or None for a new one).

    Returns the ``Axes``.
    """
    w1, w2, J = _check_grid(w1, w2, J)
    if ax is None:
        ax = plt.figure(figsize=(4.6, 3.8)).add_subplot(projection="3d")
    elif getattr(ax, "name", "") != "3d":
        raise ValueError("ax must be a 3-D Axes (fig.add_subplot(projection='3d')) or None")
    G1, G2 = np.meshgrid(w1, w2)
    ax.plot_surface(G1, G2, J, cmap="viridis", linewidth=0, antialiased=True, alpha=0.95)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_zlabel("J")
    ax.view_init(elev=32, azim=-125)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


# -------------------------------------------------------- numerical care
def _naive_softmax_cross_entropy(Z, Y):
    """The textbook formula −Σ y log(e^z / Σ e^z), with no protection: NAIVE, for showing
    how it fails.  Its value stops being finite at the first of two events: some e^z overflows
    (a logit above ~709.78), or a probability underflows to 0 (a row's logits spanning more than
    ~745), when the term 0 · log 0 = 0 · (−inf) is NaN.  Per example, shape ``(m,)``.
    Call it inside ``np.errstate(over="ignore", invalid="ignore", divide="ignore")``."""
    E = np.exp(np.asarray(Z, dtype=np.float64))
    A = E / E.sum(axis=1, keepdims=True)
    return -np.sum(Y * np.log(A), axis=1)


def plot_softmax_overflow(z, true_class, scales, ax=None):
    r"""Cross-entropy of the logits ``c · z`` for every scale c: naive formula vs stable one.

    The naive line stops at the first scale where its value is not finite (inf or NaN, which
    matplotlib does not draw): either :math:`e^{c\max_k z_k}` overflows
    (:math:`c\max_k z_k > 709.78`) or the smallest probability underflows to 0
    (:math:`c(\max_k z_k - \min_k z_k) \gtrsim 745`), whichever comes first; the stable line (``losses.softmax_cross_entropy_from_logits``)
    goes on.  Returns the ``Axes``.
    """
    z = _grid_1d(z, "z", None)
    scales = _grid_1d(scales, "scales", None)
    k = v.integer(true_class, "true_class", low=0, high=z.size - 1)
    Z = scales[:, None] * z[None, :]
    Y = np.zeros_like(Z)
    Y[:, k] = 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        naive = _naive_softmax_cross_entropy(Z, Y)
    stable = _losses.softmax_cross_entropy_from_logits(Z, Y)
    ax = _axes(ax, (4.6, 3.2))
    ax.plot(scales, stable, color=_CE_COLOUR, lw=4, alpha=0.5, label="stable (log-sum-exp)")
    ax.plot(scales, np.where(np.isfinite(naive), naive, np.nan), color=_MSE_COLOUR, lw=1.5,
            label="naive: log of exp(z)/Σexp(z)")
    bad = ~np.isfinite(naive)
    if bad.any():
        c = scales[np.argmax(bad)]
        ax.axvline(c, color=_MSE_COLOUR, ls=":", lw=1.2)
        ax.text(c, 0.5, f"  naive gives {naive[np.argmax(bad)]:g}\n  from c ≈ {c:.3g}",
                transform=ax.get_xaxis_transform(), color=_MSE_COLOUR, fontsize=8, va="center")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(alpha=0.25, which="both")
    ax.set_xlabel("scale c of the logits  (logits = c · z)")
    ax.set_ylabel("loss ℓ")
    ax.legend(fontsize=8, loc="upper left", framealpha=0.9)
    return ax
