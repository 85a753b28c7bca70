r"""Chapter 6's exercises: one epoch of gradient descent in each mode, and the whole
backward pass from scratch.

``one_epoch(net, X, Y, eta, lam, batch_size, seed)`` does exactly what one
epoch of :func:`bp_lib.train` does, so its answer can be checked number for
number:

* ``batch_size=None`` (full batch): one step on the gradient of all n examples;
* otherwise the examples are visited in the order
  ``np.random.default_rng(seed).permutation(n)``, cut into consecutive
  batches of ``batch_size`` (the last one may be shorter), one step each —
  ``batch_size=1`` is single-sample (online) mode;
* each step is :math:`W \leftarrow W - \eta\,(\partial J_{0,B}/\partial W + \tfrac{\lambda}{n}W)`,
  :math:`b \leftarrow b - \eta\,\partial J_{0,B}/\partial b`, with :math:`J_{0,B}` the mean
  loss of the batch (``net.gradients(Xb, Yb)``) and n the size of the whole
  training set — the L2 term belongs to the cost of the training set, not of
  the batch.

It returns ``(weights, biases)``, the two lists after the epoch.  The three
modes are checked in turn, each on its own widths and n (full batch, single
sample, mini-batches of 3 on n = 7 examples, so the last batch is short).

``backprop(X, Y, weights, biases, lam)`` returns ``(dW, db)`` for sigmoid
hidden layers, a softmax output, categorical cross-entropy and the L2 term
:math:`\frac{\lambda}{2m}\sum\lVert W\rVert^2`.  The three cases have depths 3, 2
and 4 and different widths and m (no weight matrix square), so neither the
example's sizes nor its depth can be hard-coded.

``backprop_tanh_bce(X, Y, weights, biases)`` is a configuration the chapter
does not assemble: tanh hidden layers, sigmoid outputs and binary
cross-entropy summed over the outputs, averaged over the m examples, no L2
term.  The learner derives :math:`\tanh' = 1-\tanh^2` and the output δ.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from ..datasets import one_hot
from ..network import Network
from .core import Exercise, Mistake, register

#: What numpy says when a product's inner sizes differ (``@`` and ``np.dot``).
MATMUL_ERROR = r"(matmul: Input operand \d+ has a mismatch|shapes \(.*\) and \(.*\) not aligned)"

# ================================================================ one_epoch
EPOCH_SIZES = (3, 4, 2)
EPOCH_N = 7
EPOCH_MINI = 3
#: Case k of a check runs mode k: every check covers all three.
_MODES = (None, 1, EPOCH_MINI)
#: Case k's widths and number of examples n (the mini-batch case keeps n = 7, batches 3, 3, 1).
EPOCH_SHAPES = (((3, 4, 2), EPOCH_N), ((4, 3, 5, 2), 5), ((2, 5, 3), EPOCH_N))


def _epoch_inputs(rng, trial=0):
    sizes, n = EPOCH_SHAPES[trial % len(EPOCH_SHAPES)]
    net = Network(list(sizes), hidden="sigmoid", output="softmax",
                  loss="softmax_cross_entropy", seed=int(rng.integers(0, 2 ** 31)))
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(n, sizes[0]))
    Y = one_hot(np.arange(n) % sizes[-1], sizes[-1])
    eta = float(rng.uniform(0.3, 1.0))
    lam = float(rng.uniform(0.5, 2.0))
    seed = int(rng.integers(0, 1000))
    return net, X, Y, eta, lam, _MODES[trial % len(_MODES)], seed


def _epoch(net, X, Y, eta, lam, batch_size, seed, *, lam_scale="n", shuffle=True,
           drop_last=False, stale=False, single_step=False):
    """One epoch, exactly or with one planted mistake."""
    n = X.shape[0]
    if batch_size is None or single_step:
        batches = [np.arange(n)]
    else:
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        stop = n - n % batch_size if drop_last else n
        batches = [order[i:i + batch_size] for i in range(0, stop, batch_size)]
    start = net.copy()
    for idx in batches:
        source = start if stale else net
        dW, db = source.gradients(X[idx], Y[idx])
        scale = {"n": lam / n, "batch": lam / len(idx), "none": 0.0}[lam_scale]
        for l in range(net.n_layers):
            net.weights[l] = net.weights[l] - eta * (dW[l] + scale * source.weights[l])
            net.biases[l] = net.biases[l] - eta * db[l]
    return net.weights, net.biases


def _one_epoch(net, X, Y, eta, lam, batch_size, seed):
    return _epoch(net, X, Y, eta, lam, batch_size, seed)


register(Exercise(
    id="one_epoch", chapter=6, points=3,
    signature="one_epoch(net, X, Y, eta, lam, batch_size, seed)",
    allowed=("Network.gradients", "Network.copy"), may_change=(0,),
    summary="one epoch of gradient descent, full batch (None), single sample (1) or "
            "mini-batch (k), batches in the order default_rng(seed).permutation(n), L2 as λ/n; "
            "returns (weights, biases)",
    make_inputs=_epoch_inputs, reference=_one_epoch,
    trials=3,
    mistakes=(
        Mistake("lam_over_batch_size",
                "the L2 term was scaled by the batch size (net.gradients(Xb, Yb, lam) gives "
                "(λ/m_B) W). The penalty λ/(2n) Σ‖W‖² belongs to the cost of the whole "
                "training set, so every batch adds (λ/n) W with n = len(X) — what bp_lib.train "
                "does, so λ means the same in every mode.",
                lambda *a: _epoch(*a, lam_scale="batch")),
        Mistake("lam_ignored",
                "λ was not used: add (λ/n) W to each batch's weight gradient.",
                lambda *a: _epoch(*a, lam_scale="none")),
        Mistake("not_shuffled",
                "the batches were taken in the data's own order: visit the examples in the "
                "order np.random.default_rng(seed).permutation(n).",
                lambda *a: _epoch(*a, shuffle=False)),
        Mistake("last_batch_dropped",
                "the last, shorter batch was skipped: when batch_size does not divide n the epoch "
                "ends with a shorter batch (n = 7, batches of 3: sizes 3, 3 and 1) — every "
                "example is used once per epoch.",
                lambda *a: _epoch(*a, drop_last=True)),
        Mistake("one_step_per_epoch",
                "only one step was taken, on the whole training set: in single-sample and "
                "mini-batch mode each batch gets its own step.",
                lambda *a: _epoch(*a, single_step=True)),
        Mistake("stale_weights",
                "every batch's gradient was computed with the weights from the start of the "
                "epoch: each step must start from the weights the previous step left.",
                lambda *a: _epoch(*a, stale=True)),
    ),
))


# ================================================================ backprop
BACKPROP_SIZES = (5, 4, 6, 3)
BACKPROP_M = 7
#: Case k's widths and m: depths 3, 2 and 4, no weight matrix square, m no width.
BACKPROP_SHAPES = ((BACKPROP_SIZES, BACKPROP_M), ((3, 7, 2), 5), ((6, 5, 4, 7, 3), 9))


def _random_layers(rng, sizes):
    weights = [rng.normal(0.0, 1.0, size=(n, n_prev)) for n_prev, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(0.0, 0.5, size=n) for n in sizes[1:]]
    return weights, biases


def _backprop_inputs(rng, trial=0):
    sizes, m = BACKPROP_SHAPES[trial % len(BACKPROP_SHAPES)]
    weights, biases = _random_layers(rng, sizes)
    X = rng.normal(size=(m, sizes[0]))
    Y = one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
    lam = float(rng.uniform(0.5, 2.0))
    return X, Y, weights, biases, lam


def _backprop(X, Y, weights, biases, lam, *, m_power=1, lam_scale="m", bias_decay=False,
              output="softmax", hidden_fp="z"):
    """The backward pass, exactly or with one planted mistake."""
    m = X.shape[0]
    L = len(weights)
    zs, acts = [], [X]
    for l, (W, b) in enumerate(zip(weights, biases)):
        Z = acts[-1] @ W.T + b
        zs.append(Z)
        acts.append(activations.softmax(Z) if l == L - 1 else activations.sigmoid(Z))
    A = acts[-1]
    delta = A - Y                                         # softmax + cross-entropy
    if output == "elementwise":                           # softmax treated as element-wise
        delta = (A - Y) * A * (1 - A)
    reg = {"m": lam / m, "one": lam, "zero": 0.0}[lam_scale]
    dW, db = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        dW[l] = delta.T @ acts[l] / m ** m_power + reg * weights[l]
        db[l] = delta.sum(axis=0) / m ** m_power + (reg * biases[l] if bias_decay else 0.0)
        if l > 0:
            a = acts[l]
            fp = {"z": lambda: a * (1 - a), "a": lambda: activations.sigmoid_derivative(a),
                  "none": lambda: 1.0}[hidden_fp]()
            delta = (delta @ weights[l]) * fp
    return dW, db


def _backprop_reference(X, Y, weights, biases, lam):
    return _backprop(X, Y, weights, biases, lam)


register(Exercise(
    id="backprop", chapter=6, points=3,
    signature="backprop(X, Y, weights, biases, lam)",
    summary="every (dW, db) of a network with sigmoid hidden layers, softmax output, "
            "categorical cross-entropy (mean over m) and λ/(2m) Σ‖W‖²",
    make_inputs=_backprop_inputs, reference=_backprop_reference,
    mistakes=(
        Mistake("one_over_m_missing",
                "the gradients of the loss are sums over the batch: the cost is a mean, so "
                "divide δᵀA and Σδ by m.",
                lambda *a: _backprop(*a, m_power=0)),
        Mistake("one_over_m_missing",
                "every gradient is m times too large — the gradient of the summed cost "
                "Σℓ + λ/2 Σ‖W‖². The course's cost is a mean: divide by m.",
                lambda *a: _backprop(*a, m_power=0, lam_scale="one")),
        Mistake("bias_regularized",
                "the biases were penalized: the L2 term contains weights only, so db gets "
                "no (λ/m) b.",
                lambda *a: _backprop(*a, bias_decay=True)),
        Mistake("lam_not_over_m",
                "λW was added to dW; the gradient of λ/(2m) Σ‖W‖² is (λ/m) W.",
                lambda *a: _backprop(*a, lam_scale="one")),
        Mistake("softmax_elementwise",
                "the output δ was multiplied by a(1 − a), as if softmax acted element by "
                "element like a sigmoid. Through softmax's full Jacobian, cross-entropy "
                "gives δ⁽ᴸ⁾ = a − y exactly (chapter 3).",
                lambda *a: _backprop(*a, output="elementwise")),
        Mistake("fprime_of_a",
                "σ' was applied to the activations: σ'(a) is not σ'(z). Use a ⊙ (1 − a) "
                "with a = σ(z), or σ'(z).",
                lambda *a: _backprop(*a, hidden_fp="a")),
        Mistake("fprime_dropped",
                "going back through a hidden layer, δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾) ⊙ σ'(z⁽ˡ⁾): the σ' "
                "factor is missing, so every layer below the output is treated as linear "
                "(chapter 4).",
                lambda *a: _backprop(*a, hidden_fp="none")),
        Mistake("lam_forgotten",
                "the L2 term is missing: the cost has λ/(2m) Σ‖W‖², so every dW gets "
                "+ (λ/m) W (chapter 5); db gets nothing.",
                lambda *a: _backprop(*a, lam_scale="zero")),
        Mistake("W_not_transposed",
                "a weight matrix stands where its transpose belongs. Row form: Z = A_prev @ "
                "W.T + b going forward, δ_prev = (δ @ W) ⊙ σ'(Z_prev) going back, "
                "dW = δ.T @ A_prev / m.",
                raises=MATMUL_ERROR),
    ),
))


# ======================================================= backprop_tanh_bce
#: Case k's widths and m: depths 2, 3 and 4, several outputs, nothing square.
TANH_BCE_SHAPES = (((4, 6, 3), 5), ((3, 5, 7, 2), 6), ((6, 4, 5, 3, 2), 8))


def _tanh_bce_inputs(rng, trial=0):
    sizes, m = TANH_BCE_SHAPES[trial % len(TANH_BCE_SHAPES)]
    weights, biases = _random_layers(rng, sizes)
    X = rng.normal(size=(m, sizes[0]))
    Y = (rng.random((m, sizes[-1])) < 0.5).astype(float)       # several labels per row may be 1
    return X, Y, weights, biases


def _tanh_bce(X, Y, weights, biases, *, hidden_fp="tanh", output_fp=False, m_power=1,
              per_output=False):
    """The backward pass, exactly or with one planted mistake."""
    m, L = X.shape[0], len(weights)
    acts = [X]
    for l, (W, b) in enumerate(zip(weights, biases)):
        Z = acts[-1] @ W.T + b
        acts.append(activations.sigmoid(Z) if l == L - 1 else np.tanh(Z))
    A = acts[-1]
    delta = A - Y                                   # sigmoid + binary cross-entropy, per output
    if output_fp:
        delta = delta * A * (1 - A)
    scale = m ** m_power * (Y.shape[1] if per_output else 1)
    dW, db = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        dW[l] = delta.T @ acts[l] / scale
        db[l] = delta.sum(axis=0) / scale
        if l > 0:
            a = acts[l]
            fp = {"tanh": 1 - a ** 2, "sigmoid": a * (1 - a), "unsquared": 1 - a}[hidden_fp]
            delta = (delta @ weights[l]) * fp
    return dW, db


def _tanh_bce_reference(X, Y, weights, biases):
    return _tanh_bce(X, Y, weights, biases)


register(Exercise(
    id="backprop_tanh_bce", chapter=6, points=3,
    signature="backprop_tanh_bce(X, Y, weights, biases)",
    summary="every (dW, db) of a network with tanh hidden layers, sigmoid outputs and binary "
            "cross-entropy summed over the outputs, mean over m, no L2 (derive tanh' and δ⁽ᴸ⁾)",
    make_inputs=_tanh_bce_inputs, reference=_tanh_bce_reference,
    mistakes=(
        Mistake("sigmoid_derivative_for_tanh",
                "the hidden layers used σ'(z) = a(1 − a), the sigmoid's derivative. For "
                "a = tanh(z), d tanh/dz = 1 − tanh²(z) = 1 − a².",
                lambda *a: _tanh_bce(*a, hidden_fp="sigmoid")),
        Mistake("tanh_derivative_not_squared",
                "the hidden layers used 1 − a: the derivative of tanh is 1 − a², "
                "a squared.",
                lambda *a: _tanh_bce(*a, hidden_fp="unsquared")),
        Mistake("output_fprime_kept",
                "the output δ carries an extra a(1 − a). With a sigmoid output and binary "
                "cross-entropy, ∂ℓ/∂a = (a − y)/(a(1 − a)) and σ'(z) = a(1 − a) cancel: "
                "δ⁽ᴸ⁾ = a − y.",
                lambda *a: _tanh_bce(*a, output_fp=True)),
        Mistake("mean_over_outputs",
                "the gradients are also divided by the number of outputs: the loss of one "
                "example is the sum of its outputs' binary cross-entropies; only the "
                "examples are averaged (divide by m).",
                lambda *a: _tanh_bce(*a, per_output=True)),
        Mistake("one_over_m_missing",
                "the gradients are sums over the batch: the cost is a mean over the m "
                "examples, so divide δᵀA and Σδ by m.",
                lambda *a: _tanh_bce(*a, m_power=0)),
    ),
))
