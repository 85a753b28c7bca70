"""Chapter 1 exercises: one layer's forward step, the whole forward pass, and Θ ↔ (W, b).

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
    f_output = _OUTPUT[int(rng.integers(0, 3))]
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


register(Exercise(
    id="forward_pass", chapter=1, points=3,
    signature="forward_pass(X, weights, biases, f_hidden, f_output)",
    summary="the whole forward pass; return (zs, activations) with activations[0] = X",
    make_inputs=_forward_inputs, reference=_forward_pass,
    mistakes=(
        Mistake("W_not_transposed", _W_NOT_TRANSPOSED, raises=r"matmul|not aligned"),
        Mistake("activations_missing_X", "activations[0] should be the input X itself "
                                         "(the math's a⁽⁰⁾), so activations has one item "
                                         "more than zs.", _forward_without_X),
        Mistake("f_output_not_used", "the last layer uses f_output; only the hidden layers "
                                     "use f_hidden.", _forward_hidden_everywhere),
        Mistake("f_output_everywhere", "f_output belongs to the last layer only; the hidden "
                                       "layers use f_hidden.", _forward_output_everywhere),
        Mistake("Z_fed_forward", "the next layer's input is the activation A = f(Z), not the "
                                 "pre-activation Z.", _forward_z_fed),
    ),
))


# ------------------------------------------------------------ Θ ↔ (W, b)
def _wb_shapes(rng, trial=0):
    # (s_l, s_{l-1}) with s_l ∉ {s_{l-1}, 1 + s_{l-1}}: neither W nor Θ is square; another each trial.
    s, s_prev = ((3, 4), (5, 2), (2, 4))[trial % 3]
    return s, s_prev


def _theta_inputs(rng, trial=0):
    s, s_prev = _wb_shapes(rng, trial)
    return rng.normal(size=(s, s_prev)), rng.normal(size=s)


def _theta_from_wb(W, b):
    return np.column_stack([b, W])


register(Exercise(
    id="theta_from_wb", chapter=1, points=1,
    signature="theta_from_wb(W, b)",
    summary="document 003's Θ = [b | W], shape (s_l, 1 + s_(l-1)): the bias in column 0",
    make_inputs=_theta_inputs, reference=_theta_from_wb,
    mistakes=(
        Mistake("bias_as_last_column", "the bias unit a₀ = 1 comes first, so the bias is "
                                       "column 0 of Θ, not the last column.",
                lambda W, b: np.column_stack([W, b])),
        Mistake("W_transposed_in_theta", "Θ keeps W's orientation: one row per unit of "
                                         "layer l, Θ = [b | W] with shape (s_l, 1 + s_(l-1)).",
                lambda W, b: np.vstack([b, W.T])),
    ),
))


def _split_inputs(rng, trial=0):
    s, s_prev = _wb_shapes(rng, trial)
    return (rng.normal(size=(s, 1 + s_prev)),)


def _wb_from_theta(Theta):
    return Theta[:, 1:], Theta[:, 0]


register(Exercise(
    id="wb_from_theta", chapter=1, points=1,
    signature="wb_from_theta(Theta)",
    summary="split Θ (bias in column 0) into (W, b) with W (s_l, s_(l-1)) and b (s_l,)",
    make_inputs=_split_inputs, reference=_wb_from_theta,
    mistakes=(
        Mistake("bias_as_last_column", "the bias is column 0 of Θ (the weight on a₀ = 1), "
                                       "not the last column: b = Theta[:, 0], W = Theta[:, 1:].",
                lambda T: (T[:, :-1], T[:, -1])),
        Mistake("b_kept_2d", "b should be 1-D, shape (s_l,): Theta[:, 0], not Theta[:, :1].",
                lambda T: (T[:, 1:], T[:, :1])),
        Mistake("bias_left_in_W", "W should not contain the bias column: W = Theta[:, 1:].",
                lambda T: (T, T[:, 0])),
    ),
))
