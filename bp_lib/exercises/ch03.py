r"""Chapter 3's exercises: the output-layer error term δ⁽ᴸ⁾ and the last layer's gradients.

Every case is drawn fresh with non-square shapes (m examples ≠ s_L outputs ≠
s_{L-1} inputs of the last layer), and the sizes change from trial to trial, so
a transposed product raises or gives a wrongly shaped answer instead of passing
by luck, and no answer can hard-code the sizes of an example.

δ is per example here (``(m, s_L)``, row i is :math:`\partial\ell_i/\partial z_i`);
the 1/m of the cost enters only in the weight and bias gradients.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import delta as _delta
from .core import Exercise, Mistake, register


# ---------------------------------------------------------------- inputs
# (m, s_L) per trial for the output δ; (m, s_L, s_{L-1}) for the gradients.
_OUTPUT_SHAPES = ((5, 3), (7, 2), (3, 4))
_SOFTMAX_SHAPES = ((4, 3), (6, 5), (3, 2))
_LAYER_SHAPES = ((6, 2, 4), (5, 3, 7), (8, 4, 3))


def _mse_inputs(rng, trial=0):
    """``Z`` ``(m, s)``, ``A = σ(Z)`` and targets in [0, 1]."""
    m, s = _OUTPUT_SHAPES[trial % len(_OUTPUT_SHAPES)]
    Z = rng.normal(0.0, 1.5, size=(m, s))
    return Z, activations.sigmoid(Z), rng.random((m, s))


def _softmax_mse_inputs(rng, trial=0):
    """Softmax outputs ``A`` ``(m, K)`` and one-hot targets ``Y``."""
    m, K = _SOFTMAX_SHAPES[trial % len(_SOFTMAX_SHAPES)]
    Z = rng.normal(0.0, 1.5, size=(m, K))
    Y = np.zeros((m, K))
    Y[np.arange(m), rng.integers(0, K, size=m)] = 1.0
    return activations.softmax(Z), Y


def _last_layer_inputs(rng, trial=0):
    m, s_L, s_prev = _LAYER_SHAPES[trial % len(_LAYER_SHAPES)]
    return rng.normal(size=(m, s_L)), activations.sigmoid(rng.normal(size=(m, s_prev)))


# ---------------------------------------------------------------- references
def _output_delta_mse(Z, A, Y):
    return _delta.output_delta_mse(Z, A, Y, "sigmoid")


def _output_delta_softmax_mse(A, Y):
    # J_softmaxᵀ (a − y) row by row; Z is not needed (the Jacobian is written with a).
    return _delta.output_delta_mse(None, A, Y, "softmax")


def _last_layer_gradients(delta, A_prev):
    return _delta.layer_gradients(delta, A_prev)


def _softmax_jvp(A, G, axis=1):
    """Σ_k g_k a_k(1[k=j] − a_j) = a_j (g_j − Σ_k g_k a_k), with the sum over ``axis``."""
    return A * (G - np.sum(G * A, axis=axis, keepdims=True))


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
        Mistake("tanh_derivative",
                "1 − a² is the derivative of tanh written with a; this output is a sigmoid, "
                "whose derivative written with a is a(1 − a).",
                lambda Z, A, Y: (A - Y) * (1 - A ** 2)),
        Mistake("delta_divided_by_m",
                "δ was divided by m. δ is per example (row i is ∂ℓᵢ/∂zᵢ); the 1/m of the "
                "mean enters later, when the per-example gradients are averaged into dW and db.",
                lambda Z, A, Y: _output_delta_mse(Z, A, Y) / Z.shape[0]),
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
        Mistake("db_times_activations",
                "db was multiplied by the activations. The bias is a weight on a constant "
                "input 1, so ∂ℓ/∂b = δ · 1 = δ: db is the mean of δ's rows, with no A_prev in it.",
                lambda delta, A_prev: (delta.T @ A_prev / delta.shape[0],
                                       delta.T @ A_prev.mean(axis=1) / delta.shape[0])),
    ),
))

register(Exercise(
    id="output_delta_softmax_mse", chapter=3, points=3,
    signature="output_delta_softmax_mse(A, Y)",
    summary="δ⁽ᴸ⁾ for a softmax output with SQUARED error, through the softmax Jacobian",
    make_inputs=_softmax_mse_inputs, reference=_output_delta_softmax_mse,
    mistakes=(
        Mistake("ce_shortcut",
                "a − y is ∂ℓ/∂a for squared error, not δ. It is the whole δ only for softmax "
                "WITH CROSS-ENTROPY, where the log's 1/a cancels the Jacobian's a_k; here "
                "nothing cancels. Multiply ∂ℓ/∂a = a − y by the softmax Jacobian: "
                "δ_j = Σ_k (a_k − y_k) · a_k(1[k=j] − a_j).",
                lambda A, Y: A - Y),
        Mistake("softmax_elementwise",
                "softmax was differentiated as if it acted element-wise (f' = a(1 − a), the "
                "slip of document 001's (9.26)–(9.27)): that keeps only the diagonal "
                "∂a_j/∂z_j of the Jacobian. Each a_k depends on every z_j: add the "
                "off-diagonal terms −a_k a_j (k ≠ j), i.e. sum over all k.",
                lambda A, Y: (A - Y) * A * (1 - A)),
        Mistake("sum_unweighted",
                "the sum lost its weights a_k: δ_j = a_j (g_j − Σ_k g_k a_k) with g = a − y. "
                "Each off-diagonal entry ∂a_k/∂z_j = −a_k a_j carries an a_k, so each g_k in "
                "the sum is weighted by a_k.",
                lambda A, Y: A * ((A - Y) - np.sum(A - Y, axis=1, keepdims=True))),
        Mistake("sum_over_examples",
                "the sum Σ_k g_k a_k ran over the examples (axis 0) instead of over the "
                "classes k of each example (axis 1): one example's δ depends only on its own row.",
                lambda A, Y: _softmax_jvp(A, A - Y, axis=0)),
        Mistake("row_sums_not_a_column",
                "an (m, K) array met the m row sums Σ_k g_k a_k as a flat array of shape (m,), "
                "which numpy cannot broadcast against (m, K). Keep them as a column (m, 1): "
                "np.sum(..., axis=1, keepdims=True), or [:, None].",
                lambda A, Y: A * ((A - Y) - np.sum((A - Y) * A, axis=1)),
                raises=r"broadcast together with shapes \((\d+),\d+\) \(\1,\)"
                       r"|broadcast together with shapes \((\d+),\) \(\2,\d+\)"),
        Mistake("factor_two",
                "the result is twice δ: the ½ in ℓ = ½‖a − y‖² cancels the 2 from "
                "differentiating the square, so ∂ℓ/∂a = a − y.",
                lambda A, Y: 2 * _output_delta_softmax_mse(A, Y)),
        Mistake("delta_divided_by_m",
                "δ was divided by m. δ is per example; the 1/m enters in dW and db.",
                lambda A, Y: _output_delta_softmax_mse(A, Y) / A.shape[0]),
    ),
))


# ------------------------------------------- class-weighted cross-entropy (a derivation)
_WEIGHTED_SHAPES = ((5, 3), (7, 4), (4, 2))


def _weighted_ce_inputs(rng, trial=0):
    """Logits ``Z`` ``(m, K)``, targets ``Y`` (one-hot in trial 1, probability rows — e.g.
    label smoothing — otherwise) and positive class weights ``w`` ``(K,)``, all different."""
    m, K = _WEIGHTED_SHAPES[trial % len(_WEIGHTED_SHAPES)]
    Z = rng.normal(0.0, 1.5, size=(m, K))
    Y = np.zeros((m, K))
    Y[np.arange(m), rng.integers(0, K, size=m)] = 1.0
    if trial % 3 != 1:
        Y = 0.8 * Y + 0.2 * rng.dirichlet(np.ones(K), size=m)       # rows still sum to 1
    w = rng.permutation(np.linspace(0.5, 3.0, K))
    return Z, Y, w


def _weighted_ce_delta(Z, Y, w):
    # ℓ = −Σ_k w_k y_k log a_k, a = softmax(z):  δ_j = a_j Σ_k w_k y_k − w_j y_j
    A = activations.softmax(Z)
    return A * np.sum(w * Y, axis=1, keepdims=True) - w * Y


register(Exercise(
    id="output_delta_weighted_ce", chapter=3, points=3,
    signature="output_delta_weighted_ce(Z, Y, w)",
    summary="δ⁽ᴸ⁾ for a softmax output and CLASS-WEIGHTED cross-entropy ℓ = −Σ_k w_k y_k log a_k "
            "(targets may be probability rows), per example, (m, K)",
    make_inputs=_weighted_ce_inputs, reference=_weighted_ce_delta,
    mistakes=(
        Mistake("weights_ignored",
                "that is δ = a − y of the unweighted loss: the weights change δ. Redo section "
                "3.5's sum with ∂ℓ/∂a_k = −w_k y_k / a_k.",
                lambda Z, Y, w: activations.softmax(Z) - Y),
        Mistake("weights_elementwise",
                "w ⊙ (a − y) weights each output by its own class's weight; but the a_j term "
                "comes from the Jacobian's sum over all k, so it is weighted by Σ_k w_k y_k "
                "(the true class's weight for a one-hot target), not by w_j.",
                lambda Z, Y, w: w * (activations.softmax(Z) - Y)),
        Mistake("weight_sum_dropped",
                "the a_j term lost its factor Σ_k w_k y_k: δ_j = a_j Σ_k w_k y_k − w_j y_j. "
                "(With unweighted one-hot targets that factor is 1, which is why a − y hides it.)",
                lambda Z, Y, w: activations.softmax(Z) - w * Y),
        Mistake("one_hot_assumed",
                "right for one-hot targets only: with probability rows several y_k are nonzero "
                "and the a_j term is weighted by the whole sum Σ_k w_k y_k, not by one weight.",
                lambda Z, Y, w: np.max(w * Y, axis=1, keepdims=True)
                * activations.softmax(Z) - w * Y),
        Mistake("delta_divided_by_m",
                "δ was divided by m. δ is per example; the 1/m enters in dW and db.",
                lambda Z, Y, w: _weighted_ce_delta(Z, Y, w) / Z.shape[0]),
    ),
))
