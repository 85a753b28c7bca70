r"""Per-example losses and their gradients (chapter 2).

Conventions, fixed once for the whole course:

* ``A`` and ``Y`` are ``(m, s_L)``: one row per example.
* ``value`` returns the per-example loss, shape ``(m,)``; the *cost* is the
  mean over the batch, :math:`J = \frac1m \sum_i \ell_i` (``np.mean`` of it).
* ``grad`` returns :math:`\partial \ell_i/\partial a^{(L)}_i` row by row, shape
  ``(m, s_L)`` — the gradient of each example's own loss, *not* divided by m.

The three losses:

``mse``
    :math:`\ell = \tfrac12 \lVert a - y\rVert^2` (the ½ cancels the 2 of the derivative),
    so the cost ``np.mean(mse(A, Y))`` is :math:`\frac1m\sum_i \tfrac12\lVert a_i-y_i\rVert^2`.
    The name is the course's own, **not** the usual meaning of "mean squared error":
    PyTorch's ``nn.MSELoss`` and scikit-learn's ``mean_squared_error`` average
    :math:`(a_k-y_k)^2` over all :math:`m\,s_L` entries, without the ½, which is
    :math:`2/s_L` times this cost.
``cross_entropy``
    per-output binary cross-entropy on sigmoid outputs (document 003),
    :math:`\ell = -\sum_k [y_k \log a_k + (1-y_k)\log(1-a_k)]`.
``softmax_cross_entropy``
    categorical cross-entropy on softmax outputs,
    :math:`\ell = -\sum_k y_k \log a_k`.

The ``*_from_logits`` functions compute the two cross-entropies from the
pre-activations ``Z`` in a form that never takes the log of 0; the network
uses them, so its cost stays finite and exact even when a sigmoid saturates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _validate as v

# Smallest probability the from-activations forms let a log see: the smallest positive
# *normal* float64, 2.2e-308 (subnormals go down to 4.9e-324), so a clipped log is at most
# -log(2.2e-308) = 708.3964 in size.  Only reached when an activation has rounded to exactly 0 or 1.
_TINY = np.finfo(np.float64).tiny


def _rows(value, name, what="(m, s_L)"):
    """``value`` as a float64 2-D array, one example per row, or a clear error."""
    arr = v.as_float_array(value, name, f"a 2-D array of numbers {what}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D {what}, one example per row; got shape {arr.shape}"
                         + (f" (one example? use {name}[None, :])" if arr.ndim == 1 else ""))
    return arr


def _pair(A, Y, aname="A"):
    """Outputs (or logits) and targets as float64 ``(m, s_L)`` arrays of the same shape."""
    A, Y = _rows(A, aname), _rows(Y, "Y")
    if A.shape != Y.shape:
        raise ValueError(f"{aname} and Y must have the same shape (m, s_L); got {aname} {A.shape} "
                         f"and Y {Y.shape}")
    return A, Y


def _probabilities(A, what):
    if A.size and (A.min() < 0.0 or A.max() > 1.0):
        raise ValueError(f"A must hold {what} (every entry in [0, 1]); got values from "
                         f"{A.min():.3g} to {A.max():.3g} — pre-activations Z? use the *_from_logits "
                         "form")
    return A


def mse(A, Y):
    r"""Per-example squared error :math:`\tfrac12\sum_k (a_k-y_k)^2`, shape ``(m,)``.

    ``np.mean(mse(A, Y))`` is the course's cost; the usual "mean squared error" of PyTorch
    and scikit-learn, ``np.mean((A - Y)**2)``, is :math:`2/s_L` times it (see the module
    docstring).  The name is kept for the course's API.
    """
    A, Y = _pair(A, Y)
    D = A - Y
    return 0.5 * np.sum(D * D, axis=1)


def mse_grad(A, Y):
    r""":math:`\partial \ell/\partial a = a - y`, shape ``(m, s_L)``."""
    A, Y = _pair(A, Y)
    return A - Y


def cross_entropy(A, Y):
    r"""Per-example binary cross-entropy summed over outputs, shape ``(m,)``.

    Logs are clipped at the smallest positive normal float (2.2e-308), so an output that has
    rounded to exactly 0 or 1 gives a large finite loss instead of ``inf``.
    Prefer :func:`sigmoid_cross_entropy_from_logits` when ``Z`` is at hand.
    """
    A, Y = _pair(A, Y)
    _probabilities(A, "sigmoid outputs")
    return -np.sum(Y * np.log(np.clip(A, _TINY, None))
                   + (1.0 - Y) * np.log(np.clip(1.0 - A, _TINY, None)), axis=1)


def cross_entropy_grad(A, Y):
    r""":math:`\partial \ell/\partial a_k = -y_k/a_k + (1-y_k)/(1-a_k) = (a_k-y_k)/(a_k(1-a_k))`."""
    A, Y = _pair(A, Y)
    _probabilities(A, "sigmoid outputs")
    return (A - Y) / np.clip(A * (1.0 - A), _TINY, None)


def softmax_cross_entropy(A, Y):
    r"""Per-example categorical cross-entropy :math:`-\sum_k y_k\log a_k`, shape ``(m,)``."""
    A, Y = _pair(A, Y)
    _probabilities(A, "softmax outputs")
    return -np.sum(Y * np.log(np.clip(A, _TINY, None)), axis=1)


def softmax_cross_entropy_grad(A, Y):
    r""":math:`\partial \ell/\partial a_k = -y_k/a_k`."""
    A, Y = _pair(A, Y)
    _probabilities(A, "softmax outputs")
    return -Y / np.clip(A, _TINY, None)


def softplus(Z):
    r""":math:`\log(1+e^{z})`, stable for any finite z: :math:`\max(z,0) + \log(1+e^{-|z|})`."""
    Z = v.as_float_array(Z, "Z", "an array of numbers")
    return np.maximum(Z, 0.0) + np.log1p(np.exp(-np.abs(Z)))


def logsumexp(Z):
    r"""Row-wise :math:`\log\sum_k e^{z_k}`, shape ``(m,)``, by shifting by a maximum.

    :math:`\log\sum_k e^{z_k} = c + \log\sum_k e^{z_k - c}` for any c.  With c the largest
    entry of the whole batch, every exponent is at most 0 (no overflow), and while the batch's
    logits span less than 700 none falls below :math:`e^{-700}`, a normal float, so every row
    keeps its precision; a wider span shifts each row by its own maximum.  (One shift for the
    batch is several times faster than a maximum per row of a few columns.)
    """
    Z = _rows(Z, "Z", "(m, K)")
    if Z.shape[1] == 0:
        raise ValueError(f"Z must have at least one column (one logit per class); got shape {Z.shape}")
    ones = np.ones(Z.shape[1])                      # row sums as a matrix-vector product
    hi = Z.max()
    if hi - Z.min() < 700.0:
        return hi + np.log(np.exp(Z - hi) @ ones)
    c = Z.max(axis=1)
    return c + np.log(np.exp(Z - c[:, None]) @ ones)


def sigmoid_cross_entropy_from_logits(Z, Y):
    r"""Binary cross-entropy of ``sigmoid(Z)`` against ``Y`` without forming the sigmoid.

    Since :math:`-\log\sigma(z) = \mathrm{softplus}(-z)` and
    :math:`-\log(1-\sigma(z)) = \mathrm{softplus}(z)`,
    :math:`\ell = \sum_k [\mathrm{softplus}(z_k) - y_k z_k]`.  Shape ``(m,)``.
    """
    Z, Y = _pair(Z, Y, "Z")
    return np.sum(softplus(Z) - Y * Z, axis=1)


def softmax_cross_entropy_from_logits(Z, Y):
    r"""Categorical cross-entropy of ``softmax(Z)`` against ``Y``:
    :math:`\ell = \sum_k y_k(\mathrm{logsumexp}(z) - z_k)`.  Shape ``(m,)``."""
    Z, Y = _pair(Z, Y, "Z")
    ones = np.ones(Z.shape[1])
    # Σ_k y_k (lse − z_k) = lse · Σ_k y_k − Σ_k y_k z_k, with the row sums as products
    return logsumexp(Z) * (Y @ ones) - np.einsum("ij,ij->i", Y, Z)


@dataclass(frozen=True)
class Loss:
    """A per-example loss: its value ``(m,)`` and gradient w.r.t. the output ``(m, s_L)``.

    ``outputs`` lists the output activations the loss may follow;
    ``from_logits`` is the stable form used when the network has ``Z``.
    """

    name: str
    value: Callable
    grad: Callable
    outputs: tuple
    from_logits: Callable | None = None

    def __repr__(self):
        return f"Loss({self.name!r})"


LOSSES = {
    "mse": Loss("mse", mse, mse_grad, ("sigmoid", "softmax", "identity")),
    "cross_entropy": Loss("cross_entropy", cross_entropy, cross_entropy_grad, ("sigmoid",),
                          sigmoid_cross_entropy_from_logits),
    "softmax_cross_entropy": Loss("softmax_cross_entropy", softmax_cross_entropy,
                                  softmax_cross_entropy_grad, ("softmax",),
                                  softmax_cross_entropy_from_logits),
}


def get(name) -> Loss:
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str) or name not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}; got {name!r}")
    return LOSSES[name]
