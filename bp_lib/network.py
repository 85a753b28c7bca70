r"""A fully connected network: forward pass, cost, and backpropagation.

Shapes (the convention of the whole course, see ``bp_lib``'s docstring):

* ``X`` is ``(m, n_in)``, one example per row; ``Y`` is ``(m, s_L)``.
* ``weights[l]`` is :math:`W^{(l+1)}`, shape ``(s_{l+1}, s_l)``; ``biases[l]`` is
  ``(s_{l+1},)``.  (Equivalently: ``weights[l-1]`` is :math:`W^{(l)}`, the math's
  ``(s_l, s_{l-1})``.)  A layer computes ``Z = A_prev @ W.T + b``, the row form of
  :math:`z = W a + b`.
* Lists are 0-indexed in code; layer 1 of the math (the first with weights)
  is ``weights[0]``.  ``activations[0]`` is ``X`` itself (the math's
  :math:`a^{(0)}`), so ``activations[l]`` and ``zs[l-1]`` belong to layer l.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import activations as _act
from . import delta as _delta
from . import losses as _losses
from . import regularization as _reg


@dataclass(frozen=True)
class ForwardTrace:
    """Every quantity of a forward pass.

    ``zs[l]``: pre-activations of weight layer l+1, ``(m, s_{l+1})``;
    ``activations[l]``: ``activations[0]`` is ``X``, ``activations[l]`` is
    ``f(zs[l-1])``; the last one is the output.  (Nielsen's names.)
    """

    zs: list
    activations: list

    @property
    def output(self):
        return self.activations[-1]


@dataclass(frozen=True)
class BackpropTrace(ForwardTrace):
    """A forward trace plus the backward pass.

    ``deltas[l]``: δ of weight layer l+1, ``(m, s_{l+1})``, per example
    (``∂ℓ_i/∂z_i``, not divided by m); ``dW``, ``db``: batch-mean gradients of
    the cost (L2 term included), shaped like ``weights`` and ``biases``.
    """

    deltas: list
    dW: list
    db: list


class Network:
    r"""A fully connected feed-forward network.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first: ``[n_in, s_1, ..., s_L]``; at least two.
    hidden : {"sigmoid", "tanh", "relu", "identity"}
        Activation of every hidden layer.
    output : {"sigmoid", "softmax", "identity"}
        Activation of the output layer.
    loss : {"mse", "cross_entropy", "softmax_cross_entropy"}
        Per-example loss.  ``cross_entropy`` needs a sigmoid output,
        ``softmax_cross_entropy`` a softmax output; ``mse`` fits any output.
    seed : int
        Seeds the initial weights: :math:`W^{(l)} \sim \mathcal N(0, 1/s_{l-1})`; when
        ``hidden="relu"`` the variance is :math:`2/s_{l-1}` for every layer, the output
        layer included.  Biases start at 0.

    The cost of a batch of m examples is

    .. math:: J = \frac1m\sum_{i=1}^m \ell(a^{(L)}_i, y_i) + \frac{\lambda}{2m}\sum_l\lVert W^{(l)}\rVert^2 .
    """

    def __init__(self, sizes, hidden="sigmoid", output="sigmoid", loss="mse", seed=0):
        sizes = _check_sizes(sizes)
        self.hidden = v.choice(hidden, "hidden", _act.HIDDEN_ACTIVATIONS)
        self.output = v.choice(output, "output", _act.OUTPUT_ACTIVATIONS)
        self.loss = v.choice(loss, "loss", tuple(_losses.LOSSES))
        allowed = _losses.LOSSES[loss].outputs
        if output not in allowed:
            raise ValueError(f"loss={loss!r} does not fit output={output!r}: it needs output in "
                             f"{list(allowed)}" + _PAIR_ADVICE.get(loss, ""))
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError(f"a softmax output needs at least 2 units; got sizes[-1] = {sizes[-1]}")
        self.seed = v.integer(seed, "seed", low=0)
        self.sizes = sizes
        rng = np.random.default_rng(self.seed)
        gain = 2.0 if hidden == "relu" else 1.0
        self.weights = [rng.normal(0.0, np.sqrt(gain / n_prev), size=(n, n_prev))
                        for n_prev, n in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(n) for n in sizes[1:]]

    # ---------------------------------------------------------------- layout
    @property
    def n_layers(self):
        """Number of weight layers L (the input layer does not count)."""
        return len(self.sizes) - 1

    def layer_activation(self, l):
        """Name of the activation of weight layer ``l`` (1-based, as in the math)."""
        return self.output if l == self.n_layers else self.hidden

    def n_parameters(self):
        return int(sum(W.size + b.size for W, b in zip(self.weights, self.biases)))

    def __repr__(self):
        return (f"Network(sizes={self.sizes}, hidden={self.hidden!r}, output={self.output!r}, "
                f"loss={self.loss!r})")

    def __getstate__(self):
        """What a copy or a pickle keeps: everything but the arrays kept for :meth:`gradients`."""
        state = dict(self.__dict__)
        state.pop("_gradients_workspace", None)
        return state

    def copy(self):
        """An independent copy (same architecture, copied parameters)."""
        other = object.__new__(Network)
        other.__dict__.update(self.__getstate__())
        other.sizes = list(self.sizes)
        other.weights = [W.copy() for W in self.weights]
        other.biases = [b.copy() for b in self.biases]
        return other

    # ---------------------------------------------------------- public API
    # Every method checks its inputs (and the network's own weights) first.  A training
    # loop that has checked its data once passes ``checked=True`` to skip that per step,
    # and a ``workspace`` (a :class:`Workspace`) so every step writes into kept arrays.

    def check_inputs(self, X, Y, lam=0.0):
        """``(X, Y, lam)`` as float64 arrays and a float, or a clear error: ``X`` ``(m, n_in)``,
        ``Y`` ``(m, s_L)`` with labels the loss accepts, ``lam >= 0``; also checks that the
        network's weights and biases have their shapes and are finite."""
        self._check_parameters()
        X = self._check_X(X)
        Y = v.as_matrix(Y, "Y", cols=self.sizes[-1], what=f"(m, s_L) = (m, {self.sizes[-1]})")
        v.same_rows(X, Y)
        check_labels(Y, self.loss)
        lam = v.real(lam, "lam", low=0.0)
        return X, Y, lam

    def forward(self, X):
        """Output activations :math:`a^{(L)}` for a batch ``X`` ``(m, n_in)`` → ``(m, s_L)``."""
        return self.forward_trace(X).output

    def forward_trace(self, X, *, workspace=None, checked=False):
        r"""The whole forward pass: every layer's ``z`` and ``a`` (a :class:`ForwardTrace`).

        Layer by layer, :math:`Z^{(l)} = A^{(l-1)}W^{(l)\mathsf T} + b^{(l)}` and
        :math:`A^{(l)} = f(Z^{(l)})` (chapter 1)."""
        if not checked:
            self._check_parameters()
            X = self._check_X(X)
        ws = workspace or _FRESH
        zs, activations = [], [X]
        A, m, L = X, X.shape[0], self.n_layers
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            Z = np.matmul(A, W.T, out=ws.array("z", l, (m, W.shape[0])))
            Z += b
            A = _act.get(self.layer_activation(l)).f(Z, out=ws.array("a", l, Z.shape))
            zs.append(Z)
            activations.append(A)
        return ForwardTrace(zs, activations)

    def cost(self, X, Y, lam=0.0, *, forward=None, checked=False):
        r"""The cost :math:`J` (mean loss plus :math:`\frac{\lambda}{2n}\sum\lVert W\rVert^2`), a float.

        ``X`` is taken as the whole training set: :math:`n` is its number of rows.  (``train``
        keeps the training-set size in the penalty when it steps on smaller batches.)
        ``forward``: this ``X``'s :class:`ForwardTrace` with the current weights, if at hand."""
        if not checked:
            X, Y, lam = self.check_inputs(X, Y, lam)
        trace = forward if forward is not None else self.forward_trace(X, checked=True)
        loss = _losses.get(self.loss)
        if loss.from_logits is not None:                   # stable: from Z, not from A
            per_example = loss.from_logits(trace.zs[-1], Y)
        else:
            per_example = loss.value(trace.output, Y)
        J = float(np.mean(per_example))
        if lam:
            J += _reg.l2_penalty(self.weights, lam, Y.shape[0])
        return J

    def gradients(self, X, Y, lam=0.0):
        """``(dW, db)``: :math:`\\partial J/\\partial W^{(l)}` and :math:`\\partial J/\\partial b^{(l)}`,
        lists of new arrays shaped like ``weights`` and ``biases``.

        The passes write into arrays this network keeps for its last batch size (a large
        batch's new arrays would each cost fresh memory); only the gradients are copied out.
        Use :meth:`backprop` for every intermediate."""
        X, Y, lam = self.check_inputs(X, Y, lam)
        with _GRADIENTS_LOCK:                  # one kept workspace: one call at a time
            ws = self.__dict__.get("_gradients_workspace")
            if ws is None or ws.rows != X.shape[0]:
                ws = self._gradients_workspace = Workspace(rows=X.shape[0])
            trace = self.backprop(X, Y, lam, workspace=ws, checked=True)
            return [g.copy() for g in trace.dW], [g.copy() for g in trace.db]

    def backprop(self, X, Y, lam=0.0, *, workspace=None, forward=None, checked=False):
        r"""Forward and backward pass with every intermediate: a :class:`BackpropTrace`
        (``zs``, ``activations``, ``deltas``, ``dW``, ``db``).

        Chapter 6's procedure, with the functions of :mod:`bp_lib.delta`:

        1. forward pass, keeping every :math:`Z^{(l)}` and :math:`A^{(l)}` (``forward``, this
           ``X``'s trace with the current weights, is used if given);
        2. the output error term :math:`\Delta^{(L)}` (:func:`~bp_lib.delta.output_delta`);
        3. for :math:`l = L, \dots, 1`: the layer's gradients :math:`\Delta^{(l)\mathsf T}A^{(l-1)}/m`
           (plus :math:`\frac{\lambda}{m}W^{(l)}`) and the mean row of :math:`\Delta^{(l)}`
           (:func:`~bp_lib.delta.layer_gradients`), then, if :math:`l > 1`, the error term below,
           :math:`\Delta^{(l-1)} = (\Delta^{(l)}W^{(l)})\odot f'(Z^{(l-1)})`
           (:func:`~bp_lib.delta.hidden_delta`).

        With a ``workspace`` every array is written into memory kept from the previous call
        with the same shapes, and the trace is valid only until the next such call.
        """
        if not checked:
            X, Y, lam = self.check_inputs(X, Y, lam)
        ws = workspace or _FRESH
        trace = forward if forward is not None else self.forward_trace(X, workspace=ws, checked=True)
        zs, A = trace.zs, trace.activations
        L, m = self.n_layers, X.shape[0]
        deltas, dW, db = [None] * L, [None] * L, [None] * L
        delta = _delta.output_delta(zs[-1], A[-1], Y, self.output, self.loss,
                                    out=ws.array("delta", L, Y.shape))
        for l in range(L, 0, -1):                 # layer l of the math is index l - 1
            W = self.weights[l - 1]
            deltas[l - 1] = delta
            dW[l - 1], db[l - 1] = _delta.layer_gradients(
                delta, A[l - 1], out=(ws.array("dW", l, W.shape), ws.array("db", l, W.shape[:1])))
            if lam:
                dW[l - 1] += _reg.l2_gradient(W, lam, m)
            if l > 1:
                shape = zs[l - 2].shape
                delta = _delta.hidden_delta(delta, W, zs[l - 2], self.hidden, A=A[l - 1],
                                            out=ws.array("delta", l - 1, shape),
                                            scratch=ws.array("scratch", l - 1, shape))
        return BackpropTrace(zs, A, deltas, dW, db)

    def predict(self, X):
        """Predicted class per example, ``(m,)`` of int: the arg-max output, or for a
        single output unit, 1 where it exceeds ½."""
        return predicted_classes(self.forward(X))

    def accuracy(self, X, Y, *, forward=None, checked=False):
        """Fraction of examples whose predicted class matches ``Y`` (one-hot or 0/1 column).
        ``forward``: this ``X``'s :class:`ForwardTrace` with the current weights, if at hand."""
        if not checked:
            X, Y, _ = self.check_inputs(X, Y, 0.0)
        trace = forward if forward is not None else self.forward_trace(X, checked=True)
        A = trace.output
        true = (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else np.argmax(Y, axis=1)
        return float(np.mean(predicted_classes(A) == true))

    # --------------------------------------------------------------- checks
    def _check_parameters(self):
        if not isinstance(self.weights, list) or len(self.weights) != self.n_layers:
            raise ValueError(f"net.weights must be a list of {self.n_layers} arrays; got "
                             f"{type(self.weights).__name__} of length {len(self.weights)}")
        if not isinstance(self.biases, list) or len(self.biases) != self.n_layers:
            raise ValueError(f"net.biases must be a list of {self.n_layers} arrays; got "
                             f"{type(self.biases).__name__} of length {len(self.biases)}")
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            want_W = (self.sizes[l + 1], self.sizes[l])
            if not isinstance(W, np.ndarray) or W.shape != want_W:
                got = W.shape if isinstance(W, np.ndarray) else type(W).__name__
                raise ValueError(f"net.weights[{l}] must be an array of shape (s_{l + 1}, s_{l}) = "
                                 f"{want_W}; got {got}")
            if not isinstance(b, np.ndarray) or b.shape != (self.sizes[l + 1],):
                got = b.shape if isinstance(b, np.ndarray) else type(b).__name__
                raise ValueError(f"net.biases[{l}] must be an array of shape "
                                 f"({self.sizes[l + 1]},); got {got}")
            for name, P in ((f"net.weights[{l}]", W), (f"net.biases[{l}]", b)):
                if P.dtype.kind not in "fiu":
                    raise TypeError(f"{name} must hold real numbers; got dtype {P.dtype}")
                if not np.isfinite(P).all():
                    bad = int(P.size - np.count_nonzero(np.isfinite(P)))
                    raise ValueError(f"{name} must contain only finite numbers; got {bad} NaN/inf "
                                     "value(s) (a diverged run? train a fresh network)")

    def _check_X(self, X):
        return v.as_matrix(X, "X", cols=self.sizes[0], what=f"(m, n_in) = (m, {self.sizes[0]})")



class Workspace:
    """Arrays kept between calls of :meth:`Network.backprop` (``workspace=``), by name, layer and shape.

    A training loop computes the same shapes step after step; writing them
    into kept arrays instead of new ones saves the allocations (and, for
    large batches, the page faults of fresh memory).
    """

    def __init__(self, rows=None):
        self._arrays = {}
        self.rows = rows                       # the batch size it was made for, if one

    def array(self, name, layer, shape):
        key = (name, layer, shape)
        arr = self._arrays.get(key)
        if arr is None:
            arr = self._arrays[key] = np.empty(shape)
        return arr


class _Fresh:
    """The no-workspace case: ``out=None`` everywhere, so numpy makes new arrays."""

    def array(self, name, layer, shape):
        return None


_FRESH = _Fresh()
_GRADIENTS_LOCK = threading.Lock()


_PAIR_ADVICE = {
    "cross_entropy": " (per-output binary cross-entropy is defined for sigmoid outputs; for "
                     "softmax outputs use loss='softmax_cross_entropy')",
    "softmax_cross_entropy": " (use output='softmax', or loss='cross_entropy' for sigmoid "
                             "outputs)",
}


def _check_sizes(sizes):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer widths like [2, 3, 1]; got "
                        f"{type(sizes).__name__} {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layers (input and output); got {list(sizes)}")
    out = []
    for i, n in enumerate(sizes):
        n = v.integer(n, f"sizes[{i}]")
        if n < 1:
            raise ValueError(f"every layer needs at least one unit; got sizes[{i}] = {n} in "
                             f"{list(sizes)}")
        out.append(n)
    return out


def check_labels(Y, loss):
    """Raise if the targets ``Y`` cannot be labels for ``loss``."""
    if loss == "cross_entropy" and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(f"Y for loss='cross_entropy' must lie in [0, 1] (targets of sigmoid "
                         f"outputs); got values from {Y.min():g} to {Y.max():g}")
    if loss == "softmax_cross_entropy":
        if Y.min() < 0:
            raise ValueError(f"Y for loss='softmax_cross_entropy' must be non-negative (one-hot "
                             f"rows); got a minimum of {Y.min():g}")
        sums = Y.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
        if bad.size:
            raise ValueError(f"each row of Y for loss='softmax_cross_entropy' must sum to 1 "
                             f"(one-hot labels; see bp_lib.one_hot); row {bad[0]} sums to "
                             f"{sums[bad[0]]:g}")


def predicted_classes(A):
    """The class each row of the outputs ``A`` ``(m, s_L)`` stands for, ``(m,)`` of int: the
    arg-max output, or for a single output unit, 1 where it exceeds ½."""
    if A.shape[1] == 1:
        return (A[:, 0] > 0.5).astype(int)
    return np.argmax(A, axis=1)
