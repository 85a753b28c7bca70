r"""Chapter 4's exercises: the hidden-layer error term and the whole backward pass.

Row form throughout (examples are rows, ``W⁽ˡ⁾`` is ``(s_l, s_{l-1})``):

.. math:: \Delta^{(l)} = \big(\Delta^{(l+1)} W^{(l+1)}\big) \odot \sigma'(Z^{(l)}),

the row form of :math:`\delta^{(l)} = (W^{(l+1)})^{\mathsf T}\delta^{(l+1)} \odot \sigma'(z^{(l)})`.

``backward_pass(zs, activations, Y, weights)`` uses the lists of
:meth:`bp_lib.Network.forward_trace` (0-indexed: ``weights[l]`` is the math's
W⁽ˡ⁺¹⁾, ``zs[l]`` its pre-activations, ``activations[0]`` is ``X`` and
``activations[l + 1] = σ(zs[l])``) for a network with sigmoid units everywhere
and the squared error ½‖a − y‖², and returns ``(dW, db)``: two lists shaped
like the weights and the biases, batch means.

The network of ``backward_pass`` has widths ``[4, 3, 4, 3]`` and m = 6
examples: no weight matrix is square and m ≠ s_L ≠ s_{L-1}.  The widths
alternate on purpose: they are the shapes on which document 001's (9.19),
read literally (the layer's own W⁽ˡ⁾ in place of W⁽ˡ⁺¹⁾), runs at all, so that
mistake is recognised by its numbers instead of by a crash.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import delta as _delta
from ..network import Network
from .core import Exercise, Mistake, register

#: What numpy says when a product's inner sizes differ (``@`` and ``np.dot``).
MATMUL_ERROR = r"(matmul: Input operand \d+ has a mismatch|shapes \(.*\) and \(.*\) not aligned)"

BACKWARD_PASS_SIZES = (4, 3, 4, 3)
BACKWARD_PASS_M = 6


# ---------------------------------------------------------------- inputs
def _hidden_inputs(rng, m=5, s_next=2, s_l=4):
    return (rng.normal(size=(m, s_next)), rng.normal(size=(s_next, s_l)),
            rng.normal(0.0, 1.5, size=(m, s_l)))


def _backward_inputs(rng):
    net = Network(list(BACKWARD_PASS_SIZES), hidden="sigmoid", output="sigmoid", loss="mse",
                  seed=int(rng.integers(0, 2 ** 31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(BACKWARD_PASS_M, BACKWARD_PASS_SIZES[0]))
    Y = rng.random((BACKWARD_PASS_M, BACKWARD_PASS_SIZES[-1]))
    trace = net.forward_trace(X)
    return list(trace.zs), list(trace.activations), Y, [W.copy() for W in net.weights]


# ---------------------------------------------------------------- references
def _hidden_delta(delta_next, W_next, Z):
    return _delta.hidden_delta(delta_next, W_next, Z, "sigmoid")


def _backward_pass(zs, activations_, Y, weights):
    L = len(weights)
    dW, db = [None] * L, [None] * L
    delta = _delta.output_delta_mse(zs[-1], activations_[-1], Y, "sigmoid")
    for l in range(L - 1, -1, -1):            # weights[l] is the math's W^(l+1)
        dW[l], db[l] = _delta.layer_gradients(delta, activations_[l])
        if l > 0:
            delta = _delta.hidden_delta(delta, weights[l], zs[l - 1], "sigmoid")
    return dW, db


def _variant(zs, acts, Y, weights, *, hidden_fp="z", output_fp="z", wrong_layer=False,
             swapped=False, m_power=1):
    """The backward pass with one planted mistake (what a recognised mistake returns)."""
    fp = activations.sigmoid_derivative
    choose = {"z": lambda Z, A: fp(Z), "a": lambda Z, A: fp(A), "none": lambda Z, A: 1.0}
    m = Y.shape[0]
    L = len(weights)
    dW, db = [None] * L, [None] * L
    delta = (acts[-1] - Y) * choose[output_fp](zs[-1], acts[-1])
    for l in range(L - 1, -1, -1):
        dW[l] = (acts[l].T @ delta if swapped else delta.T @ acts[l]) / m ** m_power
        db[l] = delta.sum(axis=0) / m ** m_power
        if l > 0:
            back = delta @ weights[l - 1].T if wrong_layer else delta @ weights[l]
            delta = back * choose[hidden_fp](zs[l - 1], acts[l])
    return dW, db


# ---------------------------------------------------------------- the exercises
register(Exercise(
    id="hidden_delta", chapter=4, points=2,
    signature="hidden_delta(delta_next, W_next, Z)",
    summary="Δ⁽ˡ⁾ = (Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾) ⊙ σ'(Z⁽ˡ⁾) for a sigmoid hidden layer (row form)",
    make_inputs=_hidden_inputs, reference=_hidden_delta,
    mistakes=(
        Mistake("fprime_dropped",
                "the σ'(z⁽ˡ⁾) factor is missing: Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾ is ∂ℓ/∂a⁽ˡ⁾; one more link "
                "of the chain, a⁽ˡ⁾ = σ(z⁽ˡ⁾), multiplies it by σ'(z⁽ˡ⁾) element by element.",
                lambda d, W, Z: d @ W),
        Mistake("fprime_of_a",
                "σ' was applied to a = σ(z) instead of z: σ'(σ(z)) is not σ'(z). Use "
                "σ'(z) = σ(z)(1 − σ(z)).",
                lambda d, W, Z: (d @ W) * activations.sigmoid_derivative(activations.sigmoid(Z))),
        Mistake("sigmoid_shortcut_on_z",
                "z ⊙ (1 − z) applies the shortcut a ⊙ (1 − a) to z. The function receives Z, "
                "so compute a = σ(Z) first (or call the sigmoid's derivative).",
                lambda d, W, Z: (d @ W) * Z * (1 - Z)),
        # No ``wrong=`` here: on these non-square shapes a W where Wᵀ belongs cannot be
        # multiplied at all, so the mistake shows itself as numpy's matmul error.
        Mistake("W_not_transposed",
                "W⁽ˡ⁺¹⁾ stands where its transpose belongs (or the reverse). Column form: "
                "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ σ'(z⁽ˡ⁾); with examples as rows the transpose moves "
                "to the other side: Δ⁽ˡ⁾ = (Δ⁽ˡ⁺¹⁾ @ W⁽ˡ⁺¹⁾) ⊙ σ'(Z⁽ˡ⁾). Shapes: (m, s_(l+1)) "
                "@ (s_(l+1), s_l) → (m, s_l).",
                raises=MATMUL_ERROR),
    ),
))

register(Exercise(
    id="backward_pass", chapter=4, points=3,
    signature="backward_pass(zs, activations, Y, weights)",
    summary="every layer's (dW, db) of a sigmoid network with squared error, batch means",
    make_inputs=_backward_inputs, reference=_backward_pass,
    mistakes=(
        Mistake("fprime_dropped",
                "the hidden layers' δ lack the σ'(z⁽ˡ⁾) factor: after Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾ multiply "
                "element-wise by σ'(Z⁽ˡ⁾) (zs[l-1] in the 0-indexed lists).",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, hidden_fp="none")),
        Mistake("fprime_dropped_at_output",
                "the output δ lacks σ'(z⁽ᴸ⁾): for squared error δ⁽ᴸ⁾ = (a⁽ᴸ⁾ − y) ⊙ σ'(z⁽ᴸ⁾) "
                "(a − y alone belongs to cross-entropy).",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, output_fp="none")),
        Mistake("fprime_of_a",
                "σ' was applied to the activations instead of the pre-activations: σ'(a) is "
                "not σ'(z). Use σ'(zs[...]) or its shortcut a ⊙ (1 − a).",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, hidden_fp="a", output_fp="a")),
        Mistake("wrong_layer_weights",
                "δ⁽ˡ⁾ was computed with the layer's own W⁽ˡ⁾ (transposed to fit) instead of "
                "W⁽ˡ⁺¹⁾, the weights through which z⁽ˡ⁾ reaches layer l+1 — the index slip of "
                "document 001 (9.19). In the 0-indexed loop: δ_prev = (δ @ weights[l]) ⊙ "
                "σ'(zs[l-1]), with the same l as dW[l].",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, wrong_layer=True)),
        Mistake("W_not_transposed",
                "a weight matrix stands where its transpose belongs (or the layer is wrong): "
                "in row form the recursion is δ_prev = (δ @ weights[l]) ⊙ σ'(zs[l-1]): "
                "(m, s_(l+1)) @ (s_(l+1), s_l) → (m, s_l).",
                raises=MATMUL_ERROR),
        Mistake("outer_product_order",
                "dW[l] came out as A_prevᵀ δ, the transpose of W's shape: use δᵀ A_prev / m "
                "(for one example, δ (a⁽ˡ⁻¹⁾)ᵀ).",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, swapped=True)),
        Mistake("one_over_m_missing",
                "dW and db are sums over the batch: the cost is a mean, so divide by m.",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, m_power=0)),
        Mistake("one_over_m_doubled",
                "dW and db were divided by m twice. δ is per example (not divided by m); "
                "divide once, when you sum over the examples.",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, m_power=2)),
    ),
))
