r"""Gradient checking by centred finite differences (cs231n's habit, in float64).

For a scalar function J of an array θ, each entry is nudged both ways:

.. math:: \frac{\partial J}{\partial\theta_j} \approx \frac{J(\theta + \varepsilon e_j) - J(\theta - \varepsilon e_j)}{2\varepsilon},

whose error is :math:`O(\varepsilon^2)`.  For each parameter array (a W or
a b) the report gives the relative error of the whole array,

.. math:: \frac{\lVert g - n\rVert}{\max(\lVert g\rVert + \lVert n\rVert,\ 10^{-12})},

with g the analytic and n the numerical gradient.  The step ε = 1e-5
balances the two errors of the estimate in float64 — truncation, about
ε² times the third derivative (≈ 1e-10), and rounding, about 1e-16·|J|/ε
(≈ 1e-11) — so a correct gradient gives about 1e-10 to 1e-7 (the upper end
for arrays whose gradient is itself tiny, 1e-5 or less); a wrong one
(missing transpose, missing f') gives order 0.1 to 1.  With ε = 1e-6
rounding dominates, and a correct but tiny gradient can come out near 1e-6.  The element-wise version
(:func:`relative_error`) is kept for looking at single entries, where tiny
gradients make it noisy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v
from .i18n import tr, translate_text

#: Relative error below which an analytic gradient is called correct.
TOLERANCE = 1e-6


def numerical_gradient(f, x, eps=1e-5):
    """Centred-difference gradient of the scalar ``f()`` with respect to array ``x``.

    ``x`` is changed in place one entry at a time and always restored (in a
    ``finally``), so ``f`` may read it from wherever it lives (e.g. ``net.weights[0]``).
    Returns an array shaped like ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(f"x must be a float64 numpy array (finite differences need float64); "
                        f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    eps = v.real(eps, "eps", low=0.0, low_inclusive=False)
    if not callable(f):
        raise TypeError(f"f must be a function of no arguments that reads x and returns a number "
                        f"(e.g. lambda: net.cost(X, Y)); got {type(f).__name__}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + eps
            plus = _scalar(f())
            x[i] = old - eps
            minus = _scalar(f())
        finally:
            x[i] = old
        grad[i] = (plus - minus) / (2.0 * eps)
    return grad


def _scalar(value):
    """``f()``'s result as a float, or a clear error: finite differences need one number."""
    if isinstance(value, (bool, str, bytes)) or np.ndim(value) != 0:
        shape = np.shape(value) if not isinstance(value, (str, bytes)) else "text"
        raise TypeError(f"f() must return one number (a scalar such as a cost); got "
                        f"{type(value).__name__} of shape {shape} — sum or average it first")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"f() must return one real number; got {type(value).__name__} "
                        f"{value!r}") from None


def relative_error(analytic, numeric):
    """Element-wise ``|a − n| / max(|a| + |n|, 1e-12)``, same shape as the inputs."""
    a = v.as_float_array(analytic, "analytic", "an array of numbers")
    n = v.as_float_array(numeric, "numeric", "an array of numbers")
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric gradients must have the same shape; got "
                         f"{a.shape} and {n.shape}")
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-12)


def array_relative_error(analytic, numeric):
    """``‖a − n‖ / max(‖a‖ + ‖n‖, 1e-12)`` over a whole array (Frobenius norms), a float."""
    a = v.as_float_array(analytic, "analytic", "an array of numbers")
    n = v.as_float_array(numeric, "numeric", "an array of numbers")
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric gradients must have the same shape; got "
                         f"{a.shape} and {n.shape}")
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12))


def report(what, analytic, numeric, tolerance=TOLERANCE):
    """Print one line comparing two computations of the same array (what the chapters use).

    ``what: relative error 3.2e-11 (agrees)`` — the relative error of
    :func:`array_relative_error`, and whether it is below ``tolerance``.
    Returns nothing, so it can end a notebook cell without an ``Out[]``.
    """
    tolerance = v.real(tolerance, "tolerance", low=0.0, low_inclusive=False)
    err = array_relative_error(analytic, numeric)
    # ``what`` is the notebook's own label: shown in the reader's language when the catalogue
    # has it (tests/test_translations.py checks that every label the chapters print has one).
    print(tr("{what}: relative error {err} ({verdict})", what=translate_text(str(what)),
             err=f"{err:.1e}",
             verdict=tr("agrees") if err < tolerance else tr("DISAGREES")))


@dataclass(frozen=True)
class ParameterCheck:
    name: str          # e.g. "W1", "b3" (1-based layer numbers, as in the math)
    shape: tuple
    relative_error: float
    analytic: np.ndarray
    numeric: np.ndarray

    @property
    def ok(self):
        return self.relative_error < TOLERANCE


@dataclass(frozen=True)
class GradientCheck:
    """Result of :func:`gradient_check`: one :class:`ParameterCheck` per array."""

    parameters: list

    @property
    def max_relative_error(self):
        return max(p.relative_error for p in self.parameters)

    @property
    def ok(self):
        return all(p.ok for p in self.parameters)

    def __bool__(self):
        return self.ok

    def __repr__(self):
        # The header's words in the reader's language; a Chinese character is two columns wide.
        head = [(tr("parameter"), 10, "<"), (tr("shape"), 12, "<"), (tr("relative error"), 16, ">")]
        lines = ["".join(_pad(word, width, side) for word, width, side in head)]
        for p in self.parameters:
            flag = tr("ok") if p.ok else tr("WRONG")
            lines.append(f"{p.name:<10}{str(p.shape):<12}{p.relative_error:>16.2e}  {flag}")
        verdict = tr("all gradients agree") if self.ok else tr("some gradients disagree")
        lines.append(tr("{verdict} (tolerance {tolerance})", verdict=verdict,
                        tolerance=f"{TOLERANCE:g}"))
        return "\n".join(lines)


def _pad(text, width, side):
    """``text`` padded to ``width`` terminal columns (a CJK character takes two)."""
    import unicodedata

    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    fill = " " * max(width - columns, 0)
    return text + fill if side == "<" else fill + text


def gradient_check(net, X, Y, lam=0.0, eps=1e-5, gradients=None):
    """Compare a network's backprop gradients with centred finite differences.

    ``gradients`` may be ``(dW, db)`` from any other implementation (a
    learner's, or one with a planted bug) to be checked instead of
    ``net.gradients(X, Y, lam)``.  Returns a :class:`GradientCheck`.
    """
    from .network import Network

    if not isinstance(net, Network):
        raise TypeError(f"net must be a bp_lib.Network; got {type(net).__name__}")
    eps = v.real(eps, "eps", low=0.0, low_inclusive=False)
    X, Y, lam = net.check_inputs(X, Y, lam)
    if gradients is None:
        dW, db = net.gradients(X, Y, lam)
    else:
        dW, db = _check_gradients(net, gradients)

    def J():
        return net.cost(X, Y, lam, checked=True)

    results = []
    for l in range(net.n_layers):
        for name, param, analytic in (("W", net.weights[l], dW[l]), ("b", net.biases[l], db[l])):
            numeric = numerical_gradient(J, param, eps)
            err = array_relative_error(analytic, numeric)
            results.append(ParameterCheck(f"{name}{l + 1}", param.shape, err,
                                          np.array(analytic, dtype=np.float64), numeric))
    return GradientCheck(results)


def _check_gradients(net, gradients):
    if not isinstance(gradients, (tuple, list)) or len(gradients) != 2:
        raise TypeError("gradients must be a pair (dW, db) of lists shaped like net.weights "
                        f"and net.biases; got {type(gradients).__name__}")
    dW, db = gradients
    for label, got, want in (("dW", dW, net.weights), ("db", db, net.biases)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            raise ValueError(f"{label} must be a list of {len(want)} arrays; got "
                             f"{type(got).__name__} of length {len(got) if hasattr(got, '__len__') else '?'}")
        for l, (g, w) in enumerate(zip(got, want)):
            if np.shape(g) != w.shape:
                raise ValueError(f"{label}[{l}] must have shape {w.shape}; got {np.shape(g)}")
    return dW, db
