r"""Activation functions and their derivatives (chapter 1).

Each activation works on a whole batch at once: ``Z`` has shape ``(m, s)``,
one row per example.  For the element-wise activations

.. math:: a = f(z), \qquad \frac{\partial a_j}{\partial z_j} = f'(z_j)

and ``derivative(Z)`` returns :math:`f'(Z)` element by element.  Softmax is
not element-wise: every output depends on every input of its row,

.. math:: \frac{\partial a_k}{\partial z_i} = a_k\,(\mathbb 1[k=i] - a_i),

so it has a ``jacobian`` instead, and ``backward`` (the product of the
Jacobian with an upstream gradient) is the one operation all activations share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import _validate as v


def _z(Z, out=None, name="Z"):
    """``Z`` as a float64 array (lists, ints and numpy scalars accepted), and ``out``, if
    given, checked to be a float64 array of the same shape; or a clear error."""
    Z = v.as_float_array(Z, name, "an array of numbers")
    if out is not None and (not isinstance(out, np.ndarray) or out.shape != Z.shape
                            or out.dtype != np.float64):
        got = f"{out.dtype} array of shape {out.shape}" if isinstance(out, np.ndarray) \
            else type(out).__name__
        raise ValueError(f"out must be a float64 array shaped like {name} {Z.shape}; got {got}")
    return Z


def sigmoid(Z, out=None):
    r""":math:`\sigma(z) = 1/(1+e^{-z})`, accurate to the last digit while σ(z) is a normal float.

    The plain formula is numerically sound: for large positive z, :math:`e^{-z}`
    is tiny and σ rounds to 1; for very negative z, :math:`1+e^{-z}` keeps its
    full relative precision, and so does its reciprocal (σ(−40) ≈ 4.2e-18
    comes out right).  Relative accuracy to the last digit holds for
    z > −708.40, where σ(z) is still a normal float; between −709.78 and −708.40
    the result is a subnormal float, which carries fewer significant digits.
    Below z = −709.78, :math:`e^{-z}` exceeds the largest float and becomes ``inf``,
    so the function returns 0, although the true σ(z) ≈ :math:`e^{z}` is a
    representable subnormal down to z ≈ −745.1 (σ(−720) ≈ 2.0e-313); that expected
    overflow is not reported as a warning.  Computed in place on one new array
    (fast on large batches), or in ``out`` when given (an array shaped like ``Z``;
    every activation takes one).
    """
    Z = _z(Z, out)
    T = np.empty_like(Z) if out is None else out   # 0-d for a scalar z, so out= works too
    np.negative(Z, out=T)
    with np.errstate(over="ignore"):
        np.exp(T, out=T)
    T += 1.0
    return np.divide(1.0, T, out=T)


def sigmoid_derivative(Z):
    r""":math:`\sigma'(z) = \sigma(z)\,(1-\sigma(z))` (derived in chapter 1)."""
    S = sigmoid(Z)
    return S * (1.0 - S)


def tanh(Z, out=None):
    return np.tanh(_z(Z, out), out=out)


def tanh_derivative(Z):
    r""":math:`\tanh'(z) = 1 - \tanh^2(z)`."""
    T = np.tanh(_z(Z))
    return 1.0 - T * T


def relu(Z, out=None):
    Z = _z(Z, out)
    return np.maximum(Z, 0.0, out=out)


def relu_derivative(Z):
    """1 where z > 0, else 0 (the derivative at the kink z = 0 is taken as 0)."""
    Z = _z(Z)
    return (Z > 0).astype(np.float64)


def identity(Z, out=None):
    Z = _z(Z, out)
    if out is None:
        return np.array(Z, dtype=np.float64)
    np.copyto(out, Z)
    return out


def identity_derivative(Z):
    return np.ones_like(_z(Z))


def softmax(Z, out=None):
    r"""Row-wise softmax :math:`a_k = e^{z_k} / \sum_j e^{z_j}`.

    Stable form: subtracting the row maximum changes nothing mathematically
    (numerator and denominator gain the same factor) but keeps ``exp`` from
    overflowing for logits in the thousands.  Shape ``(m, K)`` → ``(m, K)``
    (a single example ``(K,)`` works too).
    """
    Z = _z(Z, out)
    if Z.ndim == 0 or Z.shape[-1] == 0:
        raise ValueError(f"Z must hold at least one logit per row, shape (m, K) or (K,); got shape {Z.shape}")
    if Z.ndim != 2:
        E = np.subtract(Z, Z.max(axis=-1, keepdims=True), out=out)
        np.exp(E, out=E)
        E /= E.sum(axis=-1, keepdims=True)
        return E
    hi = Z.max()
    if hi - Z.min() < 700.0:
        # One shift for the whole batch is as safe when the logits span less than 700:
        # every exponent is then between −700 and 0, so no e^x overflows or falls below
        # the smallest normal float (e^−708), and each row keeps its full precision.
        E = np.subtract(Z, hi, out=out)
    else:
        E = np.subtract(Z, _row_max(Z)[:, None], out=out)
    np.exp(E, out=E)
    inv_sums = E @ np.ones(E.shape[1])              # row sums, as a matrix-vector product
    np.divide(1.0, inv_sums, out=inv_sums)          # one division per row, then a product
    E *= inv_sums[:, None]
    return E


def _row_max(Z):
    """Maximum of each row of a 2-D array.

    Same as ``Z.max(axis=1)``; for the few columns of an output layer, taking
    the maximum column by column is several times faster than numpy's
    reduction along short rows.
    """
    if Z.shape[1] > 64:
        return Z.max(axis=1)
    M = Z[:, 0].copy()
    for k in range(1, Z.shape[1]):
        np.maximum(M, Z[:, k], out=M)
    return M


def softmax_jacobian(a):
    r"""Jacobian of softmax for one example: ``J[k, i] = a_k (1[k=i] - a_i)``, shape ``(K, K)``."""
    a = _z(a, name="a")
    if a.ndim != 1:
        raise ValueError(f"a must be one example's softmax output, shape (K,); got shape {a.shape}")
    return np.diag(a) - np.outer(a, a)


def _elementwise_backward(scale_inplace):
    """Build ``backward(Z, A, dA) = dA ⊙ f'(Z)`` from an in-place ``scale_inplace(G, Z, A)``.

    ``backward`` copies ``dA`` first, so the caller's array is never changed;
    the network's own backward pass, which owns a fresh ``dA``, calls
    ``backward.inplace`` and saves the copy.  Where f' can be read off the
    output (sigmoid: a(1−a); tanh: 1−a²) and ``A`` is passed, it is used
    instead of recomputing f(Z): same numbers, less work.  ``A`` may be ``None``.
    """
    def backward(Z, A, dA):
        return scale_inplace(np.array(dA, dtype=np.float64), Z, A)
    backward.inplace = scale_inplace
    return backward

# The in-place scalings take an optional ``scratch`` array shaped like G for their
# one intermediate, so the network's training loop can run without new arrays.


def _sigmoid_scale(G, Z, A, scratch=None):
    """G ⊙ σ'(z) = G ⊙ a(1 − a) = G⊙a − (G⊙a)⊙a, in place on G."""
    if A is None:
        A = sigmoid(Z)
    G *= A
    G -= np.multiply(G, A, out=scratch)
    return G


def _tanh_scale(G, Z, A, scratch=None):
    """G ⊙ tanh'(z) = G ⊙ (1 − a²) = G − (G⊙a)⊙a, in place on G."""
    if A is None:
        A = tanh(Z)
    T = np.multiply(G, A, out=scratch)
    T *= A
    G -= T
    return G


def _relu_scale(G, Z, A, scratch=None):
    """G ⊙ 1[z > 0], in place on G."""
    G *= np.asarray(Z) > 0
    return G


def _identity_scale(G, Z, A, scratch=None):
    return G


def _softmax_backward(Z, A, dA):
    r"""Jacobian-vector product row by row, vectorised:
    :math:`\delta_i = \sum_k \frac{\partial a_k}{\partial z_i} g_k = a_i (g_i - \sum_k a_k g_k)`."""
    return A * (dA - np.sum(dA * A, axis=1, keepdims=True))


def _softmax_derivative(Z):
    raise TypeError("softmax has no element-wise derivative: each output depends on every "
                    "logit of its row. Use bp_lib.activations.softmax_jacobian(a) for one "
                    "example, or ACTIVATIONS['softmax'].backward(Z, A, dA) for a batch.")


@dataclass(frozen=True)
class Activation:
    """An activation with its value and how gradients pass back through it.

    ``backward(Z, A, dA)`` returns :math:`\\partial J/\\partial Z` given
    :math:`\\partial J/\\partial A`; all three arrays are ``(m, s)``.
    """

    name: str
    f: Callable
    derivative: Callable
    backward: Callable
    elementwise: bool = True

    def __call__(self, Z, out=None):
        return self.f(Z, out=out)

    def __repr__(self):
        return f"Activation({self.name!r})"


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative,
                          _elementwise_backward(_sigmoid_scale)),
    "tanh": Activation("tanh", tanh, tanh_derivative, _elementwise_backward(_tanh_scale)),
    "relu": Activation("relu", relu, relu_derivative, _elementwise_backward(_relu_scale)),
    "identity": Activation("identity", identity, identity_derivative,
                           _elementwise_backward(_identity_scale)),
    "softmax": Activation("softmax", softmax, _softmax_derivative, _softmax_backward,
                          elementwise=False),
}
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "identity")


def get(name) -> Activation:
    """Look an activation up by name, with a clear error for unknown names."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]
