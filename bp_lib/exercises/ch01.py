"""Chapter 1 exercises: one layer's forward step, the whole forward pass, the one layer a
network of identity layers collapses to, and the derivative of SiLU (two derivations the
chapter does not print).

Every case uses non-square shapes (m ≠ s_l ≠ s_{l-1}), so a missing transpose
raises or gives a wrong shape instead of passing by luck.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .core import Exercise, Mistake, register

_HIDDEN = (activations.sigmoid, activations.tanh, activations.relu)
_OUTPUT = (activations.sigmoid, activations.identity, activations.softmax)

_W_NOT_TRANSPOSED = (
    "a batch holds examples as rows, so z = W a + b becomes Z = A_prev @ W.T + b: "
    "W is (s_l, s_(l-1)) and A_prev is (m, s_(l-1)), so A_prev @ W cannot be formed.")

_COLUMN_FORM = (
    "W @ A_prev.T is the column form z = W a, one column per example: it gives Z transposed, "
    "(s_l, m), to which b (s_l,) cannot be added. With examples as rows, Z = A_prev @ W.T + b "
    "is (m, s_l).")
_BIAS_AS_COLUMN = (
    "b was turned into a column (s_l, 1); with examples as rows Z is (m, s_l), and b as it is, "
    "(s_l,), is added to every row: Z = A_prev @ W.T + b.")

# ------------------------------------------------------------ layer_forward
#: (m, s_(l-1), s_l) of each trial: every size differs from the others, and from trial to trial.
_LAYER_SHAPES = ((5, 3, 4), (7, 4, 2), (6, 2, 5))


def _layer_inputs(rng, trial=0):
    m, s_prev, s = _LAYER_SHAPES[trial % len(_LAYER_SHAPES)]
    A_prev = rng.normal(size=(m, s_prev))
    W = rng.normal(size=(s, s_prev))
    b = rng.normal(size=s)
    f = _HIDDEN[int(rng.integers(0, 2))]          # sigmoid or tanh: f(z) ≠ z anywhere
    return A_prev, W, b, f


def _layer_forward(A_prev, W, b, f):
    Z = A_prev @ W.T + b
    return Z, f(Z)


register(Exercise(
    id="layer_forward", chapter=1, points=2,
    signature="layer_forward(A_prev, W, b, f)",
    summary="one layer, batch as rows: Z = A_prev Wᵀ + b, A = f(Z); return (Z, A)",
    make_inputs=_layer_inputs, reference=_layer_forward,
    mistakes=(
        Mistake("W_not_transposed", _W_NOT_TRANSPOSED, raises=r"matmul|not aligned"),
        Mistake("column_form", _COLUMN_FORM, raises=r"broadcast.*shapes \((\d+),\s*\d+\) \(\1,\)"),
        Mistake("bias_as_column", _BIAS_AS_COLUMN, raises=r"broadcast.*shapes \(\d+,\s*(\d+)\) \(\1,\s*1\)"),
        Mistake("bias_missing", "b is not added: Z = A_prev @ W.T + b (b broadcasts over the rows).",
                lambda A_prev, W, b, f: (A_prev @ W.T, f(A_prev @ W.T))),
        Mistake("f_not_applied", "the second item should be A = f(Z), the activation applied "
                                 "to the pre-activation.",
                lambda A_prev, W, b, f: (A_prev @ W.T + b, A_prev @ W.T + b)),
        Mistake("bias_after_f", "the bias belongs inside the activation: A = f(A_prev @ W.T + b), "
                                "not f(A_prev @ W.T) + b.",
                lambda A_prev, W, b, f: (A_prev @ W.T + b, f(A_prev @ W.T) + b)),
        Mistake("Z_and_A_swapped", "return (Z, A) in that order: the pre-activation first.",
                lambda A_prev, W, b, f: (f(A_prev @ W.T + b), A_prev @ W.T + b)),
    ),
))


# ------------------------------------------------------------ forward_pass
_ARCHITECTURES = ([3, 4, 2], [3, 5, 4, 2], [4, 6, 3])


def _forward_inputs(rng, trial=0):
    sizes = _ARCHITECTURES[trial % len(_ARCHITECTURES)]
    m = (7, 6, 9)[trial % 3]
    X = rng.normal(size=(m, sizes[0]))
    weights = [rng.normal(size=(n, n_prev)) for n_prev, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=n) for n in sizes[1:]]
    f_hidden = _HIDDEN[int(rng.integers(0, 2))]
    outputs = [f for f in _OUTPUT if f is not f_hidden]   # different, so every slip shows
    f_output = outputs[int(rng.integers(0, len(outputs)))]
    return X, weights, biases, f_hidden, f_output


def _forward_pass(X, weights, biases, f_hidden, f_output):
    zs, acts = [], [X]
    L = len(weights)
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        Z = acts[-1] @ W.T + b
        zs.append(Z)
        acts.append(f_output(Z) if l == L else f_hidden(Z))
    return zs, acts


def _forward_without_X(*args):
    zs, acts = _forward_pass(*args)
    return zs, acts[1:]


def _forward_hidden_everywhere(X, weights, biases, f_hidden, f_output):
    return _forward_pass(X, weights, biases, f_hidden, f_hidden)


def _forward_output_everywhere(X, weights, biases, f_hidden, f_output):
    return _forward_pass(X, weights, biases, f_output, f_output)


def _forward_z_fed(X, weights, biases, f_hidden, f_output):
    zs, acts = [], [X]
    prev = X
    L = len(weights)
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        Z = prev @ W.T + b
        zs.append(Z)
        acts.append(f_output(Z) if l == L else f_hidden(Z))
        prev = Z
    return zs, acts


def _forward_lists_swapped(*args):
    zs, acts = _forward_pass(*args)
    return acts, zs


def _forward_stops_early_output_last(X, weights, biases, f_hidden, f_output):
    return _forward_pass(X, weights[:-1], biases[:-1], f_hidden, f_output)


def _forward_stops_early_hidden_only(X, weights, biases, f_hidden, f_output):
    return _forward_pass(X, weights[:-1], biases[:-1], f_hidden, f_hidden)


_STOPS_EARLY = ("the loop stops one layer early: with L = len(weights) layers, zs needs L items "
                "and activations L + 1 (X first) — loop over range(1, L + 1), or over "
                "zip(weights, biases).")

register(Exercise(
    id="forward_pass", chapter=1, points=3,
    signature="forward_pass(X, weights, biases, f_hidden, f_output)",
    summary="the whole forward pass; return (zs, activations) with activations[0] = X",
    make_inputs=_forward_inputs, reference=_forward_pass,
    mistakes=(
        Mistake("W_not_transposed", _W_NOT_TRANSPOSED, raises=r"matmul|not aligned"),
        Mistake("column_form", _COLUMN_FORM, raises=r"broadcast.*shapes \((\d+),\s*\d+\) \(\1,\)"),
        Mistake("bias_as_column", _BIAS_AS_COLUMN, raises=r"broadcast.*shapes \(\d+,\s*(\d+)\) \(\1,\s*1\)"),
        Mistake("activations_missing_X", "activations[0] should be the input X itself "
                                         "(the math's a⁽⁰⁾), so activations has one item "
                                         "more than zs.", _forward_without_X),
        Mistake("f_output_not_used", "the last layer uses f_output; only the hidden layers "
                                     "use f_hidden.", _forward_hidden_everywhere),
        Mistake("f_output_everywhere", "f_output belongs to the last layer only; the hidden "
                                       "layers use f_hidden.", _forward_output_everywhere),
        Mistake("Z_fed_forward", "the next layer's input is the activation A = f(Z), not the "
                                 "pre-activation Z.", _forward_z_fed),
        Mistake("lists_swapped", "the two lists are returned in the wrong order: return "
                                 "(zs, activations), the pre-activations first.",
                _forward_lists_swapped),
        Mistake("stops_early", _STOPS_EARLY, _forward_stops_early_output_last),
        Mistake("stops_early_hidden", _STOPS_EARLY, _forward_stops_early_hidden_only),
    ),
))


# ------------------------------------------------------------ collapse_linear
def _collapse_inputs(rng, trial=0):
    # 1, 2, 3 or 4 layers (one per trial, then random), widths 2..7 with no square W and s_0 ≠ s_L.
    n_layers = (2, 3, 4)[trial] if trial < 3 else int(rng.integers(1, 5))
    while True:
        sizes = [int(s) for s in rng.integers(2, 8, size=n_layers + 1)]
        if all(a != b for a, b in zip(sizes[:-1], sizes[1:])) and sizes[0] != sizes[-1]:
            break
    weights = [rng.normal(size=(n, n_prev)) for n_prev, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=n) for n in sizes[1:]]
    return weights, biases


def _collapse_linear(weights, biases):
    W, b = weights[0], biases[0]
    for W_next, b_next in zip(weights[1:], biases[1:]):
        W, b = W_next @ W, W_next @ b + b_next
    return W, b


def _collapse_last_bias(weights, biases):
    W, _ = _collapse_linear(weights, biases)
    return W, biases[-1]


def _collapse_row_form(weights, biases):
    W, b = _collapse_linear(weights, biases)
    return W.T, b


register(Exercise(
    id="collapse_linear", chapter=1, points=3,
    signature="collapse_linear(weights, biases)",
    summary="the one layer (W, b), W (s_L, s_0), that computes the same function as a network "
            "of identity layers: W x + b = a⁽ᴸ⁾ for every x",
    make_inputs=_collapse_inputs, reference=_collapse_linear,
    trials=4,
    mistakes=(
        Mistake("product_order_reversed",
                "a matrix product got sizes that do not fit. Either the matrices multiply in the "
                "wrong order — the layers apply right to left, the first layer's W⁽¹⁾ acts on x "
                "first, so it stands on the right, W = W⁽ᴸ⁾ ⋯ W⁽²⁾ W⁽¹⁾ — or the bias was "
                "multiplied by the W already combined: the bias so far passes through the next "
                "layer's weights alone, b ← W⁽ˡ⁺¹⁾ b + b⁽ˡ⁺¹⁾, computed before W is updated.",
                raises=r"matmul|not aligned"),
        Mistake("biases_summed",
                "the biases were added up, but an earlier bias passes through every later "
                "layer's weights: two layers give W⁽²⁾ b⁽¹⁾ + b⁽²⁾, not b⁽¹⁾ + b⁽²⁾ (the "
                "biases have different lengths, so adding them raises).",
                raises=r"could not be broadcast"),
        Mistake("last_bias_only",
                "only the last layer's bias was kept; every earlier bias reaches the output too, "
                "multiplied by the weights after it (two layers: W⁽²⁾ b⁽¹⁾ + b⁽²⁾).",
                _collapse_last_bias),
        Mistake("row_form_returned",
                "W came back transposed, (s_0, s_L): return the course's shape (s_L, s_0), so "
                "that W @ x + b is the output for a column x.", _collapse_row_form),
    ),
))


# ------------------------------------------------------------ silu_derivative
def _silu_inputs(rng, trial=0):
    m, s = ((5, 3), (4, 6), (7, 2))[trial % 3]
    return (rng.uniform(-6.0, 6.0, size=(m, s)),)


def _sig(Z):
    return activations.sigmoid(Z)


def _silu_derivative(Z):
    s = _sig(Z)
    return s * (1 + Z * (1 - s))


register(Exercise(
    id="silu_derivative", chapter=1, points=2,
    signature="silu_derivative(Z)",
    summary="f′(z) element-wise for SiLU f(z) = z σ(z), same shape as Z",
    make_inputs=_silu_inputs, reference=_silu_derivative,
    mistakes=(
        Mistake("sigmoid_only",
                "that is σ(z), the first half of the product rule: f = z·σ(z) is a product, so "
                "f′ = (z)′ σ(z) + z σ′(z).", _sig),
        Mistake("product_rule_half",
                "that is z σ′(z), one half of the product rule: add the other, (z)′ σ(z) = σ(z).",
                lambda Z: Z * _sig(Z) * (1 - _sig(Z))),
        Mistake("sigmoid_derivative",
                "that is σ′(z) = σ(z)(1 − σ(z)), the sigmoid's derivative; SiLU multiplies σ by z, "
                "so the product rule adds a term.", lambda Z: _sig(Z) * (1 - _sig(Z))),
        Mistake("sigma_prime_as_sigma",
                "z σ(z) was used where z σ′(z) belongs: σ′(z) = σ(z)(1 − σ(z)), so "
                "f′ = σ + z σ (1 − σ).", lambda Z: _sig(Z) * (1 + Z)),
    ),
))
