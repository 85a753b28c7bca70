r"""Chapter 4's exercises: the hidden-layer error term and the whole backward pass.

Row form throughout (examples are rows, ``W⁽ˡ⁾`` is ``(s_l, s_{l-1})``):

.. math:: \Delta^{(l)} = \big(\Delta^{(l+1)} W^{(l+1)}\big) \odot f'(Z^{(l)}),

the row form of :math:`\delta^{(l)} = (W^{(l+1)})^{\mathsf T}\delta^{(l+1)} \odot f'(z^{(l)})`.

* ``hidden_delta(delta_next, W_next, Z)`` — the recursion for a **tanh** hidden
  layer (the chapter works it for sigmoid; the learner supplies tanh′).
* ``backward_pass(zs, activations, Y, weights)`` — every layer's ``(dW, db)`` of a
  sigmoid network with squared error, from the lists of
  :meth:`bp_lib.Network.forward_trace` (0-indexed: ``weights[l]`` is the math's
  W⁽ˡ⁺¹⁾, ``zs[l]`` its pre-activations, ``activations[0]`` is ``X``).  Each
  trial has its own depth and widths (no square weight matrix, m ≠ every
  width); trial 0 alternates two widths, ``[a, b, a, b]``, the one shape on
  which using the layer's own W⁽ˡ⁾ in place of W⁽ˡ⁺¹⁾ runs at all, so that
  mistake is recognised by its numbers instead of by a crash.
* ``skip_delta(delta_next, delta_skip, W_next, V, Z)`` — a derivation the chapter
  does not print: the hidden δ of a sigmoid layer whose output also feeds the
  layer after next through a skip connection ``V``.
* ``backward_fixed(zs, activations, Y, weights)`` — find the bug: the notebook
  shows a backward pass (tanh hidden layers, softmax output with cross-entropy)
  with two planted bugs; the learner finds them with a gradient check and
  returns the corrected gradients.  A submission that still has either bug is
  told which one.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import delta as _delta
from ..datasets import one_hot
from ..network import Network
from .core import Exercise, Mistake, register

#: What numpy says when a product's inner sizes differ (``@`` and ``np.dot``).
MATMUL_ERROR = r"(matmul: Input operand \d+ has a mismatch|shapes \(.*\) and \(.*\) not aligned)"
#: What numpy says when an element-wise product gets two different shapes.
BROADCAST_ERROR = r"could not be broadcast"

#: Trial 0 of ``backward_pass`` (the alternating widths); later trials draw their own.
BACKWARD_PASS_SIZES = (4, 3, 4, 3)
BACKWARD_PASS_M = 6


# ---------------------------------------------------------------- inputs
def _distinct_widths(rng, n, low=2, high=7, avoid=()):
    """n layer widths in [low, high], neighbours different and none in ``avoid``."""
    widths = []
    while len(widths) < n:
        w = int(rng.integers(low, high + 1))
        if w in avoid or (widths and w == widths[-1]):
            continue
        widths.append(w)
    return widths


def _hidden_inputs(rng, trial=0):
    m = int(rng.integers(3, 8))
    s_next, s_l = _distinct_widths(rng, 2, avoid=(m,))
    return (rng.normal(size=(m, s_next)), rng.normal(size=(s_next, s_l)),
            rng.normal(0.0, 1.2, size=(m, s_l)))


def _network_sizes(rng, trial):
    """Widths of trial ``trial``: [a, b, a, b] first, then depth 2 and depth 4."""
    if trial == 0:
        return list(BACKWARD_PASS_SIZES), BACKWARD_PASS_M
    m = int(rng.integers(4, 9))
    depth = 2 if trial == 1 else 4
    return _distinct_widths(rng, depth + 1, avoid=(m,)), m


def _backward_inputs(rng, trial=0):
    sizes, m = _network_sizes(rng, trial)
    net = Network(sizes, hidden="sigmoid", output="sigmoid", loss="mse",
                  seed=int(rng.integers(0, 2 ** 31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(m, sizes[0]))
    Y = rng.random((m, sizes[-1]))
    trace = net.forward_trace(X)
    return list(trace.zs), list(trace.activations), Y, [W.copy() for W in net.weights]


def _skip_inputs(rng, trial=0):
    m = int(rng.integers(3, 8))
    s_l, s_next, s_skip = _distinct_widths(rng, 3, avoid=(m,))
    while s_skip == s_l:
        s_skip = _distinct_widths(rng, 1, avoid=(m, s_l, s_next))[0]
    return (rng.normal(size=(m, s_next)), rng.normal(size=(m, s_skip)),
            rng.normal(size=(s_next, s_l)), rng.normal(size=(s_skip, s_l)),
            rng.normal(0.0, 1.2, size=(m, s_l)))


def _fix_inputs(rng, trial=0):
    sizes, m = _network_sizes(rng, trial)
    if sizes[-1] < 2:
        sizes[-1] = 3
    net = Network(sizes, hidden="tanh", output="softmax", loss="softmax_cross_entropy",
                  seed=int(rng.integers(0, 2 ** 31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(m, sizes[0]))
    Y = one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
    trace = net.forward_trace(X)
    return list(trace.zs), list(trace.activations), Y, [W.copy() for W in net.weights]


# ---------------------------------------------------------------- references
def _hidden_delta(delta_next, W_next, Z):
    return _delta.hidden_delta(delta_next, W_next, Z, "tanh")


def _backward_pass(zs, activations_, Y, weights):
    L = len(weights)
    dW, db = [None] * L, [None] * L
    delta = _delta.output_delta_mse(zs[-1], activations_[-1], Y, "sigmoid")
    for l in range(L - 1, -1, -1):            # weights[l] is the math's W^(l+1)
        dW[l], db[l] = _delta.layer_gradients(delta, activations_[l])
        if l > 0:
            delta = _delta.hidden_delta(delta, weights[l], zs[l - 1], "sigmoid")
    return dW, db


def _skip_delta(delta_next, delta_skip, W_next, V, Z):
    return (delta_next @ W_next + delta_skip @ V) * activations.sigmoid_derivative(Z)


def _variant(zs, acts, Y, weights, *, hidden_fp="z", output_fp="z", wrong_layer=False,
             swapped=False, m_power=1, stop=0, unset=None):
    """The backward pass with one planted mistake (what a recognised mistake returns)."""
    fp = activations.sigmoid_derivative
    choose = {"z": lambda Z, A: fp(Z), "a": lambda Z, A: fp(A), "none": lambda Z, A: 1.0}
    m = Y.shape[0]
    L = len(weights)
    dW = [unset if unset is None else np.zeros_like(W) for W in weights]
    db = [unset if unset is None else np.zeros(W.shape[0]) for W in weights]
    delta = (acts[-1] - Y) * choose[output_fp](zs[-1], acts[-1])
    for l in range(L - 1, stop - 1, -1):      # stop=1: the loop ends a layer early (000's bound)
        dW[l] = (acts[l].T @ delta if swapped else delta.T @ acts[l]) / m ** m_power
        db[l] = delta.sum(axis=0) / m ** m_power
        if l > 0:
            back = delta @ weights[l - 1].T if wrong_layer else delta @ weights[l]
            delta = back * choose[hidden_fp](zs[l - 1], acts[l])
    return dW, db


def _tanh_softmax_backward(zs, acts, Y, weights, *, fprime_of_z=False, db_mean=True):
    """Backward pass of a tanh network with a softmax / cross-entropy output.

    ``fprime_of_z`` plants bug 1 (tanh′ written as 1 − z² instead of 1 − a²);
    ``db_mean=False`` plants bug 2 (db summed over the batch, not averaged).
    """
    L, m = len(weights), Y.shape[0]
    dW, db = [None] * L, [None] * L
    D = acts[-1] - Y
    for l in range(L - 1, -1, -1):
        dW[l] = D.T @ acts[l] / m
        db[l] = D.sum(axis=0) / m if db_mean else D.sum(axis=0)
        if l > 0:
            fp = 1.0 - zs[l - 1] ** 2 if fprime_of_z else 1.0 - acts[l] ** 2
            D = (D @ weights[l]) * fp
    return dW, db


def buggy_backward(zs, activations, Y, weights):
    """The backward pass chapter 4's find-the-bug exercise starts from (two bugs planted)."""
    return _tanh_softmax_backward(zs, activations, Y, weights, fprime_of_z=True, db_mean=False)


_STOPS_EARLY = ("the first layer's dW[0] and db[0] were never computed: the loop stops one "
                "layer early (document 000's bound l = n_l − 1, …, 2, written for an input "
                "numbered 1). The first weight layer needs its gradients too: run the loop "
                "down to index 0 (range(L - 1, -1, -1)), computing the next δ only while l > 0.")


# ---------------------------------------------------------------- the exercises
register(Exercise(
    id="hidden_delta", chapter=4, points=2,
    signature="hidden_delta(delta_next, W_next, Z)",
    summary="Δ⁽ˡ⁾ = (Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾) ⊙ tanh'(Z⁽ˡ⁾) for a tanh hidden layer (row form)",
    make_inputs=_hidden_inputs, reference=_hidden_delta,
    mistakes=(
        Mistake("fprime_dropped",
                "the tanh'(z⁽ˡ⁾) factor is missing: Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾ is ∂ℓ/∂a⁽ˡ⁾; one more link "
                "of the chain, a⁽ˡ⁾ = tanh(z⁽ˡ⁾), multiplies it by tanh'(z⁽ˡ⁾) element by "
                "element.",
                lambda d, W, Z: d @ W),
        Mistake("sigmoid_derivative_used",
                "this is σ'(z), the sigmoid's derivative from the chapter's example; this "
                "layer is tanh, whose derivative is 1 − tanh²(z).",
                lambda d, W, Z: (d @ W) * activations.sigmoid_derivative(Z)),
        Mistake("fprime_of_a",
                "tanh' was applied to a = tanh(z) instead of z: tanh'(tanh(z)) is not "
                "tanh'(z). Use 1 − tanh²(z), i.e. 1 − a² with a = tanh(z).",
                lambda d, W, Z: (d @ W) * (1.0 - np.tanh(np.tanh(Z)) ** 2)),
        Mistake("shortcut_on_z",
                "1 − z² applies the shortcut 1 − a² to z. The function receives Z, so "
                "compute a = tanh(Z) first.",
                lambda d, W, Z: (d @ W) * (1.0 - Z ** 2)),
        # No ``wrong=`` here: on these non-square shapes a W where Wᵀ belongs cannot be
        # multiplied at all, so the mistake shows itself as numpy's matmul error.
        Mistake("W_not_transposed",
                "W⁽ˡ⁺¹⁾ stands where its transpose belongs (or the reverse). Column form: "
                "δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f'(z⁽ˡ⁾); with examples as rows the transpose moves "
                "to the other side: Δ⁽ˡ⁾ = (Δ⁽ˡ⁺¹⁾ @ W⁽ˡ⁺¹⁾) ⊙ f'(Z⁽ˡ⁾). Shapes: (m, s_(l+1)) "
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
                "W⁽ˡ⁺¹⁾, the weights through which z⁽ˡ⁾ reaches layer l+1. In the 0-indexed "
                "loop: δ_prev = (δ @ weights[l]) ⊙ σ'(zs[l-1]), with the same l as dW[l].",
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, wrong_layer=True)),
        Mistake("W_not_transposed",
                "a weight matrix stands where its transpose belongs (or the layer is wrong): "
                "in row form the recursion is δ_prev = (δ @ weights[l]) ⊙ σ'(zs[l-1]): "
                "(m, s_(l+1)) @ (s_(l+1), s_l) → (m, s_l).",
                raises=MATMUL_ERROR),
        Mistake("fprime_wrong_layer",
                "an element-wise product got two different shapes: the f' factor most likely "
                "comes from the wrong entry of the 0-indexed lists. Δ⁽ˡ⁾ (the new δ, shape "
                "(m, s_l)) needs σ'(Z⁽ˡ⁾) = σ'(zs[l-1]), or a ⊙ (1 − a) with a = "
                "activations[l] — the same l as weights[l] in δ @ weights[l].",
                raises=BROADCAST_ERROR),
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
        Mistake("stops_a_layer_early", _STOPS_EARLY,
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, stop=1)),
        Mistake("stops_a_layer_early_zeros", _STOPS_EARLY,
                lambda zs, acts, Y, Ws: _variant(zs, acts, Y, Ws, stop=1, unset=0.0)),
    ),
))

register(Exercise(
    id="skip_delta", chapter=4, points=3,
    signature="skip_delta(delta_next, delta_skip, W_next, V, Z)",
    allowed=("activations.sigmoid_derivative",),   # σ′ is not what this exercise asks
    summary="Δ⁽ˡ⁾ of a sigmoid layer that feeds layer l+1 (W⁽ˡ⁺¹⁾) and layer l+2 (skip weights V)",
    make_inputs=_skip_inputs, reference=_skip_delta,
    mistakes=(
        Mistake("skip_path_missing",
                "only the path through layer l+1 is counted. a⁽ˡ⁾ also reaches the loss "
                "directly through z⁽ˡ⁺²⁾ = … + V a⁽ˡ⁾: by the multivariable chain rule (section "
                "4.1) that path's term, Δ⁽ˡ⁺²⁾ V, is added before the ⊙ σ'(Z⁽ˡ⁾).",
                lambda d1, d2, W, V, Z: (d1 @ W) * activations.sigmoid_derivative(Z)),
        Mistake("direct_path_missing",
                "only the skip path is counted: the path through layer l+1, Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾, is "
                "still there — every route from a⁽ˡ⁾ to the loss adds one term.",
                lambda d1, d2, W, V, Z: (d2 @ V) * activations.sigmoid_derivative(Z)),
        Mistake("fprime_dropped",
                "the σ'(z⁽ˡ⁾) factor is missing: Δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾ + Δ⁽ˡ⁺²⁾ V is ∂ℓ/∂a⁽ˡ⁾; "
                "multiply it element-wise by σ'(Z⁽ˡ⁾).",
                lambda d1, d2, W, V, Z: d1 @ W + d2 @ V),
        Mistake("fprime_on_one_path",
                "σ'(Z⁽ˡ⁾) multiplies only one of the two paths. Both paths start at z⁽ˡ⁾ and "
                "go through a⁽ˡ⁾ = σ(z⁽ˡ⁾), so σ'(z⁽ˡ⁾) multiplies their sum.",
                lambda d1, d2, W, V, Z: (d1 @ W) * activations.sigmoid_derivative(Z) + d2 @ V),
        Mistake("W_not_transposed",
                "a weight matrix stands where its transpose belongs. Row form of Vᵀδ is δ @ V: "
                "(m, s_(l+2)) @ (s_(l+2), s_l) → (m, s_l), like Δ⁽ˡ⁺¹⁾ @ W⁽ˡ⁺¹⁾.",
                raises=MATMUL_ERROR),
    ),
))

register(Exercise(
    id="backward_fixed", chapter=4, points=2,
    signature="backward_fixed(zs, activations, Y, weights)",
    summary="find and fix the two bugs of buggy_backward (tanh hidden, softmax + cross-entropy)",
    make_inputs=_fix_inputs,
    reference=lambda zs, acts, Y, Ws: _tanh_softmax_backward(zs, acts, Y, Ws),
    mistakes=(
        Mistake("both_bugs_left",
                "this is still buggy_backward: both planted bugs are there. Run "
                "bp_lib.gradient_check on it and read which arrays disagree.",
                lambda zs, acts, Y, Ws: _tanh_softmax_backward(zs, acts, Y, Ws, fprime_of_z=True,
                                                               db_mean=False)),
        Mistake("tanh_prime_bug_left",
                "the bias gradients are right now, but every hidden layer's gradients are "
                "still wrong: tanh'(z) is 1 − tanh²(z) = 1 − a², and the code squares z "
                "instead of a.",
                lambda zs, acts, Y, Ws: _tanh_softmax_backward(zs, acts, Y, Ws, fprime_of_z=True)),
        Mistake("db_bug_left",
                "the recursion is right now, but every db is m times too large: the cost is "
                "a mean over the batch, so db = (sum of the rows of δ) / m, like dW.",
                lambda zs, acts, Y, Ws: _tanh_softmax_backward(zs, acts, Y, Ws, db_mean=False)),
    ),
))
