r"""Chapter 2 exercises: the three costs and the stable softmax cross-entropy.

Each exercise returns the *cost* of a batch, a float: the mean over the m
examples of the per-example loss, exactly as ``bp_lib.losses`` defines the
losses (``np.mean(losses.mse(A, Y))`` and so on).  Shapes are non-square
(m ≠ s_L) and m ≥ 4, so ``1/m`` forgotten, ``1/m`` twice and ½ forgotten give
three different numbers.
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


def _m_and_s(rng):
    return int(rng.integers(5, 8)), 3                 # m ∈ {5, 6, 7} ≠ s_L = 3


# ----------------------------------------------------------------- mse_cost
def _mse_inputs(rng):
    m, s = _m_and_s(rng)
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
        Mistake("mean_over_outputs_too", _MEAN_OVER_OUTPUTS,
                lambda A, Y: 0.5 * float(np.mean((A - Y) ** 2))),
    ),
))


# ------------------------------------------------------- binary cross-entropy
def _bce_inputs(rng):
    m, s = _m_and_s(rng)
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
    ),
))


# --------------------------------------------------- softmax cross-entropy
def _sce_inputs(rng):
    m, K = _m_and_s(rng)
    A = activations.softmax(rng.normal(scale=1.5, size=(m, K)))
    Y = one_hot(rng.integers(0, K, size=m), K)
    return A, Y


def _sce_cost(A, Y):
    return float(np.mean(-np.sum(Y * np.log(A), axis=1)))


register(Exercise(
    id="softmax_cross_entropy_cost", chapter=2, points=1,
    signature="softmax_cross_entropy_cost(A, Y)",
    summary="J = −(1/m) Σ_i Σ_k y_k log a_k for softmax outputs and one-hot Y, a float",
    make_inputs=_sce_inputs, reference=_sce_cost,
    mistakes=(
        Mistake("one_over_m_missing", _ONE_OVER_M_MISSING,
                lambda A, Y: float(-np.sum(Y * np.log(A)))),
        Mistake("one_over_m_doubled", _ONE_OVER_M_DOUBLED,
                lambda A, Y: float(-np.sum(Y * np.log(A))) / A.shape[0] ** 2),
        Mistake("binary_form_used", "for softmax outputs the loss is −Σ y_k log a_k only; the "
                                    "(1 − y) log(1 − a) terms belong to independent sigmoid "
                                    "outputs (binary cross-entropy).", _bce_cost),
        Mistake("mean_over_outputs_too", _MEAN_OVER_OUTPUTS,
                lambda A, Y: float(-np.sum(Y * np.log(A))) / A.size),
    ),
))


# ------------------------------------- stable softmax cross-entropy from Z
def _logit_inputs(rng):
    """Logits of every size: ordinary rows, rows scaled into the hundreds, and rows shifted by
    ±1000, where exp overflows (e^1000 = inf) or underflows to 0 in a naive softmax."""
    m, K = _m_and_s(rng)
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
        Mistake("naive_softmax_overflow",
                "e^z overflows for z > 709 (and e^z underflows to 0 for z < −745), so a softmax "
                "or log-sum-exp written with exp(Z) directly gives inf or NaN (or log(0)). Subtract each "
                "row's maximum c first: log Σ e^z = c + log Σ e^(z − c).",
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
