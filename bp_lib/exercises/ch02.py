r"""Chapter 2 exercises: two costs, the stable softmax cross-entropy, and the gradient of the
landscape model's cost (a derivation the chapter does not print).

The first three return the *cost* of a batch, a float: the mean over the m
examples of the per-example loss, exactly as ``bp_lib.losses`` defines the
losses (``np.mean(losses.mse(A, Y))`` and so on).  Every trial draws its own
non-square shape (m ∈ {5, 7, 9} examples, s_L ∈ {2, 3, 4} outputs), so ``1/m``
forgotten, ``1/m`` twice, ½ forgotten and a mean over the wrong axis give
different numbers, and no size can be hard-coded.
"""

from __future__ import annotations

import numpy as np

from .. import activations, losses
from ..datasets import one_hot
from .core import Exercise, Mistake, register

_ONE_OVER_M_MISSING = ("the cost is the mean over the m examples: divide the summed loss by m "
                       "(np.mean over the rows), not just the sum.")
_ONE_OVER_M_DOUBLED = "divide by m once: the result is m times too small."
_MEAN_OVER_OUTPUTS = ("average over the examples (rows) only; the loss of one example is a sum "
                      "over its outputs, so np.mean over every entry also divides by s_L.")


_WRONG_AXIS = ("axis=0 sums over the examples (the rows) and the mean then divides by s_L: a "
               "loss is a sum over the outputs of ONE example (axis=1), then the cost averages "
               "those m losses.")
_LOG10 = "np.log is the natural logarithm the formula means; np.log10 divides every log by ln 10."


def _m_and_s(rng, trial=0):
    """m ∈ {5, 7, 9} examples and s_L ∈ {2, 3, 4} outputs, one pair per trial.  m is odd, so it
    is never s_L nor 2·s_L (where a mean over the wrong axis would equal a forgotten ½)."""
    return int(rng.choice([5, 7, 9])), (3, 2, 4)[trial % 3]


# ----------------------------------------------------------------- mse_cost
def _mse_inputs(rng, trial=0):
    m, s = _m_and_s(rng, trial)
    return rng.normal(size=(m, s)), rng.normal(size=(m, s))


def _mse_cost(A, Y):
    return float(np.mean(0.5 * np.sum((A - Y) ** 2, axis=1)))


register(Exercise(
    id="mse_cost", chapter=2, points=1,
    signature="mse_cost(A, Y)",
    summary="J = (1/m) Σ_i ½‖a_i − y_i‖², a float",
    make_inputs=_mse_inputs, reference=_mse_cost,
    mistakes=(
        Mistake("one_over_m_missing", _ONE_OVER_M_MISSING,
                lambda A, Y: 0.5 * float(np.sum((A - Y) ** 2))),
        Mistake("one_over_m_doubled", _ONE_OVER_M_DOUBLED,
                lambda A, Y: 0.5 * float(np.sum((A - Y) ** 2)) / A.shape[0] ** 2),
        Mistake("half_missing", "the squared error has a factor ½: ℓ = ½‖a − y‖² (it cancels the "
                                "2 of the derivative, so ∂ℓ/∂a = a − y).",
                lambda A, Y: float(np.mean(np.sum((A - Y) ** 2, axis=1)))),
        Mistake("usual_mse", "np.mean((A − Y)**2) is the usual mean squared error (PyTorch's "
                             "nn.MSELoss, scikit-learn's mean_squared_error): a mean over all "
                             "m·s_L entries, without ½. The course's cost is a mean over the m "
                             "examples of ½‖a − y‖² (a sum over the outputs): s_L/2 times that.",
                lambda A, Y: float(np.mean((A - Y) ** 2))),
        Mistake("mean_over_outputs_too", _MEAN_OVER_OUTPUTS,
                lambda A, Y: 0.5 * float(np.mean((A - Y) ** 2))),
        Mistake("wrong_axis", _WRONG_AXIS,
                lambda A, Y: float(np.mean(0.5 * np.sum((A - Y) ** 2, axis=0)))),
    ),
))


# ------------------------------------------------------- binary cross-entropy
def _bce_inputs(rng, trial=0):
    m, s = _m_and_s(rng, trial)
    A = activations.sigmoid(rng.normal(scale=1.5, size=(m, s)))
    Y = rng.integers(0, 2, size=(m, s)).astype(np.float64)
    return A, Y


def _bce_cost(A, Y):
    return float(np.mean(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=1)))


def _bce_sum(A, Y):
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


register(Exercise(
    id="binary_cross_entropy_cost", chapter=2, points=2,
    signature="binary_cross_entropy_cost(A, Y)",
    summary="J = −(1/m) Σ_i Σ_k [y log a + (1 − y) log(1 − a)], a float",
    make_inputs=_bce_inputs, reference=_bce_cost,
    mistakes=(
        Mistake("one_over_m_missing", _ONE_OVER_M_MISSING, _bce_sum),
        Mistake("one_over_m_doubled", _ONE_OVER_M_DOUBLED,
                lambda A, Y: _bce_sum(A, Y) / A.shape[0] ** 2),
        Mistake("second_term_missing", "each output also pays −(1 − y) log(1 − a) when its target "
                                       "is 0; without it, outputs with y = 0 cost nothing.",
                lambda A, Y: float(np.mean(-np.sum(Y * np.log(A), axis=1)))),
        Mistake("mean_over_outputs_too", _MEAN_OVER_OUTPUTS,
                lambda A, Y: _bce_sum(A, Y) / A.size),
        Mistake("wrong_axis", _WRONG_AXIS, lambda A, Y: _bce_sum(A, Y) / A.shape[1]),
        Mistake("log10", _LOG10, lambda A, Y: _bce_cost(A, Y) / np.log(10.0)),
    ),
))


# ------------------------------------- stable softmax cross-entropy from Z
def _logit_inputs(rng, trial=0):
    """Logits of every size: ordinary rows, rows scaled into the hundreds, and rows shifted by
    ±1000, where exp overflows (e^1000 = inf) or underflows to 0 in a naive softmax.  K ≥ 3."""
    m, K = _m_and_s(rng, trial)
    K = max(K, 3)
    Z = rng.normal(scale=2.0, size=(m, K))
    Z[1] *= 300.0
    Z[2] += 1000.0
    Z[3] -= 1000.0
    Z[4] = 600.0 * rng.normal(size=K) + 900.0
    Y = one_hot(rng.integers(0, K, size=m), K)
    return Z, Y


def _sce_from_logits(Z, Y):
    return float(np.mean(losses.softmax_cross_entropy_from_logits(Z, Y)))


def _max_not_added_back(Z, Y):
    c = Z.max(axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(Z - c), axis=1, keepdims=True))   # forgot "+ c"
    return float(np.mean(np.sum(Y * (lse - Z), axis=1)))


register(Exercise(
    id="softmax_cross_entropy_from_logits", chapter=2, points=3,
    signature="softmax_cross_entropy_from_logits(Z, Y)",
    summary="J = (1/m) Σ_i [logsumexp(z_i) − z_i·y_i], stable for logits in the thousands, "
            "a float",
    make_inputs=_logit_inputs, reference=_sce_from_logits,
    mistakes=(
        Mistake("keepdims_missing",
                "a statistic of each row taken with axis=1 (the maximum c, or the sum inside "
                "log-sum-exp) has shape (m,), which does not broadcast against the (m, K) "
                "array Z: keep the axis with keepdims=True (shape (m, 1)), or index [:, None].",
                raises=r"could not be broadcast"),
        Mistake("naive_softmax_overflow",
                "the answer is inf or NaN where the cost is finite. Either e^z overflowed "
                "(z > 709) or underflowed to 0 (z < −745) — subtract each row's maximum c first: "
                "log Σ e^z = c + log Σ e^(z − c) — or, if you did shift, you took the log of a "
                "softmax probability that had underflowed to 0 (log 0 = −inf, and 0 · (−inf) = "
                "NaN). Never form that probability: log a_k = z_k − logsumexp(z).",
                raises=r"OverflowError|FloatingPointError|overflow|math range error|"
                       r"math domain error|division by zero",
                nonfinite=True),
        Mistake("one_over_m_missing", _ONE_OVER_M_MISSING,
                lambda Z, Y: float(np.sum(losses.softmax_cross_entropy_from_logits(Z, Y)))),
        Mistake("one_over_m_doubled", _ONE_OVER_M_DOUBLED,
                lambda Z, Y: float(np.sum(losses.softmax_cross_entropy_from_logits(Z, Y)))
                / Z.shape[0] ** 2),
        Mistake("max_not_added_back", "after shifting by the row maximum c, add it back: "
                                      "logsumexp(z) = c + log Σ e^(z − c).", _max_not_added_back),
    ),
))


# ------------------------- the landscape model's gradient (a derivation not printed)
def _landscape_inputs(rng, trial=0):
    """x, y of m examples (0/1 labels), and h hidden weights w and output weights v, m ≠ h."""
    m = int(rng.integers(5, 9))
    h = (2, 3, 4)[trial % 3]
    x = rng.normal(scale=1.5, size=m)
    y = (rng.random(m) < 0.5).astype(np.float64)
    y[:2] = (0.0, 1.0)                                   # both labels occur
    return rng.normal(size=h), rng.normal(scale=1.5, size=h), x, y


def _landscape_parts(w, v, x, y):
    T = np.tanh(np.outer(x, w))                          # (m, h): tanh(w_j x_i)
    a = activations.sigmoid(T @ v)                       # (m,)
    return T, a


def _landscape_gradient(w, v, x, y):
    T, a = _landscape_parts(w, v, x, y)
    r = a - y                                            # dℓ_i/dz_i, sigmoid + cross-entropy
    dv = T.T @ r / x.size
    dw = ((1.0 - T ** 2) * np.outer(r, v) * x[:, None]).mean(axis=0)
    return dw, dv


def _landscape_variant(w, v, x, y, *, slope=None, tanh_prime=True, with_x=True, mean=True):
    T, a = _landscape_parts(w, v, x, y)
    r = a - y if slope is None else slope(a, y)
    D = np.outer(r, v) * ((1.0 - T ** 2) if tanh_prime else 1.0) * (x[:, None] if with_x else 1.0)
    reduce = (lambda M: M.mean(axis=0)) if mean else (lambda M: M.sum(axis=0))
    return reduce(D), reduce(T * r[:, None])


register(Exercise(
    id="landscape_gradient", chapter=2, points=3,
    signature="landscape_gradient(w, v, x, y)",
    summary="(∂J/∂w, ∂J/∂v) for J = mean cross-entropy of a = σ(Σ_j v_j tanh(w_j x)), "
            "each of shape (h,)",
    make_inputs=_landscape_inputs, reference=_landscape_gradient,
    mistakes=(
        Mistake("squared_error_slope",
                "the slope of the loss with respect to the output's pre-activation z is a − y "
                "for a sigmoid output with cross-entropy (section 6); (a − y)·a(1 − a) is the "
                "squared-error slope.",
                lambda w, v, x, y: _landscape_variant(
                    w, v, x, y, slope=lambda a, y: (a - y) * a * (1.0 - a))),
        Mistake("tanh_prime_missing",
                "∂J/∂w_j passes through tanh: d tanh(u)/du = 1 − tanh²(u), with u = w_j x. "
                "The factor (1 − tanh²(w_j x_i)) is missing.",
                lambda w, v, x, y: _landscape_variant(w, v, x, y, tanh_prime=False)),
        Mistake("inner_x_missing",
                "the chain rule's last link: ∂(w_j x)/∂w_j = x. Each example's term in ∂J/∂w_j "
                "needs its own x_i.",
                lambda w, v, x, y: _landscape_variant(w, v, x, y, with_x=False)),
        Mistake("sum_not_mean", _ONE_OVER_M_MISSING,
                lambda w, v, x, y: _landscape_variant(w, v, x, y, mean=False)),
        Mistake("order_swapped", "return (∂J/∂w, ∂J/∂v) in that order: the hidden weights first.",
                lambda w, v, x, y: _landscape_gradient(w, v, x, y)[::-1]),
    ),
))
