r"""Chapter 3's exercises: the output-layer error term δ⁽ᴸ⁾ and the last layer's gradients.

Every case is drawn fresh with non-square shapes (m examples ≠ s_L outputs ≠
s_{L-1} inputs of the last layer), so a transposed product raises or gives a
wrongly shaped answer instead of passing by luck.

δ is per example here (``(m, s_L)``, row i is :math:`\partial\ell_i/\partial z_i`);
the 1/m of the cost enters only in the weight and bias gradients.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import delta as _delta
from .core import Exercise, Mistake, register


# ---------------------------------------------------------------- inputs
def _sigmoid_layer(rng, m=5, s=3):
    """``Z`` ``(m, s)``, ``A = σ(Z)`` and targets in [0, 1]."""
    Z = rng.normal(0.0, 1.5, size=(m, s))
    return Z, activations.sigmoid(Z), rng.random((m, s))


def _mse_inputs(rng):
    return _sigmoid_layer(rng)


def _sigmoid_ce_inputs(rng):
    _, A, _ = _sigmoid_layer(rng)
    Y = (rng.random(A.shape) < 0.5).astype(float)      # 0/1 targets, one per output unit
    return A, Y


def _softmax_ce_inputs(rng, m=4, K=3):
    Z = rng.normal(0.0, 1.5, size=(m, K))
    Y = np.zeros((m, K))
    Y[np.arange(m), rng.integers(0, K, size=m)] = 1.0  # one-hot rows
    return activations.softmax(Z), Y


def _last_layer_inputs(rng, m=6, s_L=2, s_prev=4):
    return rng.normal(size=(m, s_L)), activations.sigmoid(rng.normal(size=(m, s_prev)))


# ---------------------------------------------------------------- references
def _output_delta_mse(Z, A, Y):
    return _delta.output_delta_mse(Z, A, Y, "sigmoid")


def _output_delta_sigmoid_ce(A, Y):
    return _delta.output_delta_sigmoid_cross_entropy(A, Y)


def _output_delta_softmax_ce(A, Y):
    return _delta.output_delta_softmax_cross_entropy(A, Y)


def _last_layer_gradients(delta, A_prev):
    return _delta.layer_gradients(delta, A_prev)


# ---------------------------------------------------------------- the exercises
register(Exercise(
    id="output_delta_mse", chapter=3, points=2,
    signature="output_delta_mse(Z, A, Y)",
    summary="δ⁽ᴸ⁾ = (a − y) ⊙ σ'(z) for squared error with a sigmoid output, per example",
    make_inputs=_mse_inputs, reference=_output_delta_mse,
    mistakes=(
        Mistake("fprime_dropped",
                "the f'(z) factor is missing: δ = ∂ℓ/∂a ⊙ f'(z) = (a − y) ⊙ σ'(z). a − y is "
                "only ∂ℓ/∂a, the first link of the chain.",
                lambda Z, A, Y: A - Y),
        Mistake("fprime_of_a",
                "σ' was applied to a instead of z. Either σ'(z) or the shortcut a ⊙ (1 − a) "
                "(which is σ'(z) written with a); σ'(a) = σ(a)(1 − σ(a)) is neither.",
                lambda Z, A, Y: (A - Y) * activations.sigmoid_derivative(A)),
        Mistake("sigmoid_shortcut_on_z",
                "z ⊙ (1 − z) is the shortcut a ⊙ (1 − a) applied to the wrong array: σ'(z) = "
                "a ⊙ (1 − a) with a = σ(z).",
                lambda Z, A, Y: (A - Y) * Z * (1 - Z)),
        Mistake("delta_divided_by_m",
                "δ was divided by m. δ is per example (row i is ∂ℓᵢ/∂zᵢ); the 1/m of the "
                "mean enters later, when the per-example gradients are averaged into dW and db.",
                lambda Z, A, Y: _output_delta_mse(Z, A, Y) / Z.shape[0]),
    ),
))

register(Exercise(
    id="output_delta_sigmoid_ce", chapter=3, points=1,
    signature="output_delta_sigmoid_ce(A, Y)",
    summary="δ⁽ᴸ⁾ for sigmoid outputs with binary cross-entropy: the σ' cancels, δ = a − y",
    make_inputs=_sigmoid_ce_inputs, reference=_output_delta_sigmoid_ce,
    mistakes=(
        Mistake("fprime_dropped",
                "this is ∂ℓ/∂a = (a − y)/(a(1 − a)) without the factor σ'(z) = a(1 − a). "
                "Multiply by it: the two cancel and leave a − y.",
                lambda A, Y: (A - Y) / (A * (1 - A))),
        Mistake("fprime_not_cancelled",
                "σ'(z) = a(1 − a) was multiplied onto a − y, but a − y already is δ: the "
                "a(1 − a) in ∂ℓ/∂a's denominator cancelled σ'(z). Return a − y.",
                lambda A, Y: (A - Y) * A * (1 - A)),
        Mistake("delta_divided_by_m",
                "δ was divided by m. δ is per example; the 1/m enters in dW and db.",
                lambda A, Y: (A - Y) / A.shape[0]),
    ),
))

register(Exercise(
    id="output_delta_softmax_ce", chapter=3, points=2,
    signature="output_delta_softmax_ce(A, Y)",
    summary="δ⁽ᴸ⁾ for a softmax output with categorical cross-entropy (through the Jacobian: a − y)",
    make_inputs=_softmax_ce_inputs, reference=_output_delta_softmax_ce,
    mistakes=(
        Mistake("softmax_elementwise",
                "softmax was differentiated as if it acted element-wise (f' = a(1 − a), "
                "document 001 (9.26)–(9.27)). That keeps only ∂a_i/∂z_i and gives y ⊙ (a − 1): "
                "right for the true class, 0 for every other. Each a_k depends on every z_i: "
                "use the Jacobian ∂a_k/∂z_i = a_k(1[k=i] − a_i) and sum over k.",
                lambda A, Y: Y * (A - 1.0)),
        Mistake("jacobian_dropped",
                "this is ∂ℓ/∂a = −y/a, the gradient with respect to the outputs. δ is the "
                "gradient with respect to z: multiply by the softmax Jacobian (sum over k).",
                lambda A, Y: -Y / A),
        Mistake("delta_divided_by_m",
                "δ was divided by m. δ is per example; the 1/m enters in dW and db.",
                lambda A, Y: (A - Y) / A.shape[0]),
    ),
))

register(Exercise(
    id="last_layer_gradients", chapter=3, points=2,
    signature="last_layer_gradients(delta, A_prev)",
    summary="(dW, db) of the last layer from δ⁽ᴸ⁾ (m, s_L) and A⁽ᴸ⁻¹⁾ (m, s_(L-1)): batch means",
    make_inputs=_last_layer_inputs, reference=_last_layer_gradients,
    mistakes=(
        Mistake("outer_product_order",
                "dW came out as A_prevᵀ δ, shape (s_(L-1), s_L): the transpose of W's shape. "
                "For one example ∂ℓ/∂W = δ (a⁽ᴸ⁻¹⁾)ᵀ (column δ times row a), so for the batch "
                "dW = δᵀ A_prev / m, shape (s_L, s_(L-1)) like W.",
                lambda delta, A_prev: (A_prev.T @ delta / delta.shape[0],
                                       delta.sum(axis=0) / delta.shape[0])),
        Mistake("one_over_m_missing",
                "the gradients are sums over the batch, not means: the cost is the mean loss, "
                "so divide dW and db by m.",
                lambda delta, A_prev: (delta.T @ A_prev, delta.sum(axis=0))),
        Mistake("one_over_m_doubled",
                "the gradients were divided by m twice (m² in all). δ is per example, so "
                "δᵀ A_prev and Σᵢ δᵢ are sums; divide each once.",
                lambda delta, A_prev: (delta.T @ A_prev / delta.shape[0] ** 2,
                                       delta.sum(axis=0) / delta.shape[0] ** 2)),
        Mistake("db_one_over_m_missing",
                "dW is right but db is a sum over the batch: divide it by m too.",
                lambda delta, A_prev: (delta.T @ A_prev / delta.shape[0], delta.sum(axis=0))),
        Mistake("db_not_averaged",
                "db must be one vector (s_L,): the mean of δ over the examples (axis 0).",
                lambda delta, A_prev: (delta.T @ A_prev / delta.shape[0], delta)),
        Mistake("db_wrong_axis",
                "db was averaged over the units (axis 1) instead of over the examples (axis 0).",
                lambda delta, A_prev: (delta.T @ A_prev / delta.shape[0], delta.mean(axis=1))),
    ),
))
