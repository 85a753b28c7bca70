r"""Gradient descent in its three modes (chapter 6).

``batch_size=None``: full batch — one step per epoch on the gradient of the
whole training set (document 000's batch mode).  ``batch_size=1``: single
sample (online) — one step per example.  ``batch_size=k``: mini-batch.  Each
step is

.. math:: W \leftarrow W - \eta\,\frac{\partial J_B}{\partial W},\qquad
          b \leftarrow b - \eta\,\frac{\partial J_B}{\partial b},

with :math:`J_B` the cost of the batch B.  The L2 term is scaled by the size n
of the *training set*, not of the batch: a batch contributes
:math:`\frac{\lambda}{n}W` to the weight gradient, so every mode follows the
same regularized cost :math:`J = \frac1n\sum\ell + \frac{\lambda}{2n}\sum\lVert W\rVert^2`
and λ means the same whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _validate as v
from .i18n import tr
from .network import Network, Workspace
from .regularization import l2_penalty


#: A parameter larger than this in absolute value means training has diverged.  Trained
#: networks of this course keep every weight below ~10²; a run whose weights grow
#: geometrically passes 10⁶ within a few steps of leaving that range.
DIVERGENCE_LIMIT = 1e6


@dataclass
class History:
    """What :func:`train` records.

    ``cost[k]``: training cost, L2 term included (the objective being
    minimised), after k epochs — ``cost[0]`` is before training, so
    ``len(cost) == epochs_run + 1``.  ``loss[k]``: the mean loss on the
    training set without the L2 term; ``val_loss[k]``: the same on the
    validation set, so the two compare like with like.  ``accuracy`` and the
    ``val_*`` lists follow the same indexing when asked for, else stay empty.
    ``examples_seen[k]`` counts the examples used for gradients up to then.
    ``diverged`` is True when the cost became non-finite or a weight or bias
    grew past :data:`DIVERGENCE_LIMIT` in size (a sigmoid or softmax output
    saturates, so exploding weights can keep the cost finite); training then
    stops and ``message`` says in one sentence where, why and what to do.
    """

    eta: float
    lam: float
    batch_size: int | None
    cost: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    examples_seen: list = field(default_factory=list)
    steps: int = 0
    diverged: bool = False
    message: str = ""

    @property
    def epochs_run(self):
        return len(self.cost) - 1

    @property
    def final_cost(self):
        return self.cost[-1]

    def __repr__(self):
        mode = {None: "full batch", 1: "single sample"}.get(self.batch_size,
                                                             f"mini-batch {self.batch_size}")
        text = (f"History({mode}, eta={self.eta:g}, lam={self.lam:g}, epochs={self.epochs_run}, "
                f"cost {self.cost[0]:.4g} -> {self.cost[-1]:.4g}")
        if self.accuracy:
            text += f", accuracy {self.accuracy[-1]:.3f}"
        if self.val_accuracy:
            text += f", val_accuracy {self.val_accuracy[-1]:.3f}"
        text += ")"
        if self.diverged:
            text += "\n" + self.message
        return text


def train(net, X, Y, eta, lam=0.0, epochs=10, batch_size=None, seed=0, *,
          X_val=None, Y_val=None, accuracy=False):
    """Train ``net`` in place by gradient descent and return a :class:`History`.

    Parameters
    ----------
    net : Network
    X, Y : arrays ``(n, n_in)`` and ``(n, s_L)``, the training set.
    eta : float > 0, the learning rate η.
    lam : float >= 0, the L2 strength λ (scaled by the training-set size n).
    epochs : int >= 1, passes over the training set.
    batch_size : None (full batch), 1 (single sample) or k in 1..n (mini-batch).
    seed : int, seeds the shuffling of examples in each epoch (not used in full batch).
    X_val, Y_val : optional validation set, recorded as ``val_loss`` (and ``val_accuracy``).
    accuracy : bool, also record classification accuracy.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a bp_lib.Network; got {type(net).__name__}")
    X, Y, _ = net.check_inputs(X, Y, 0.0)
    eta = v.real(eta, "eta", low=0.0, low_inclusive=False)
    lam = v.real(lam, "lam", low=0.0)
    epochs = v.integer(epochs, "epochs", low=1)
    n = X.shape[0]
    if batch_size is not None:
        batch_size = v.integer(batch_size, "batch_size", low=1)
        if batch_size > n:
            raise ValueError(f"batch_size must be at most the number of training examples "
                             f"({n}); got {batch_size}. Use batch_size=None for full batch.")
    seed = v.integer(seed, "seed", low=0)
    if (X_val is None) != (Y_val is None):
        raise ValueError("pass both X_val and Y_val, or neither")
    if X_val is not None:
        X_val, Y_val, _ = net.check_inputs(X_val, Y_val, 0.0)
    accuracy = bool(accuracy)

    history = History(eta=eta, lam=lam, batch_size=batch_size)
    rng = np.random.default_rng(seed)
    ws = Workspace()                              # the same arrays for every step
    ws_val = Workspace()                          # the validation pass's own
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        recorded = _record(history, net, X, Y, lam, X_val, Y_val, accuracy, 0, ws, ws_val)
        for epoch in range(1, epochs + 1):
            if recorded is None:
                break
            if batch_size is None or batch_size >= n:
                # One step on the whole set: its forward pass is the one just recorded
                # (same weights, same X), so the step starts from that trace.
                trace = net.backprop(X, Y, lam, workspace=ws, forward=recorded, checked=True)
                _step(net, trace, eta)
                history.steps += 1
            else:
                order = rng.permutation(n)
                for i in range(0, n, batch_size):
                    idx = order[i:i + batch_size]
                    Xb, Yb = X[idx], Y[idx]
                    m = Xb.shape[0]
                    trace = net.backprop(Xb, Yb, lam * m / n, workspace=ws, checked=True)  # λ/n on W
                    _step(net, trace, eta)
                    history.steps += 1
            recorded = _record(history, net, X, Y, lam, X_val, Y_val, accuracy, epoch, ws, ws_val)
    return history


def _step(net, trace, eta):
    """One gradient-descent update, in place: W ← W − η ∂J/∂W, b ← b − η ∂J/∂b."""
    for l in range(net.n_layers):
        net.weights[l] -= eta * trace.dW[l]
        net.biases[l] -= eta * trace.db[l]


def _record(history, net, X, Y, lam, X_val, Y_val, accuracy, epoch, ws, ws_val):
    """Append the epoch's figures and return the forward trace of the training set,
    or None (and say why) when they are not finite.

    The forward passes write into kept arrays (``ws``, whose step is done with
    them by now, and ``ws_val``), so recording costs no new memory either.
    """
    trace = net.forward_trace(X, workspace=ws, checked=True)
    data_J = net.cost(X, Y, 0.0, forward=trace, checked=True)
    J = data_J + l2_penalty(net.weights, lam, X.shape[0])
    largest = max(max(float(np.max(np.abs(W))), float(np.max(np.abs(b))))
                  for W, b in zip(net.weights, net.biases))
    history.cost.append(J if np.isfinite(J) else float("inf"))
    history.examples_seen.append(epoch * X.shape[0])
    if not np.isfinite(J) or not largest <= DIVERGENCE_LIMIT:     # NaN fails the test too
        history.diverged = True
        history.message = divergence_message(history, epoch, J, largest, X.shape[0])
        return None
    history.loss.append(data_J)
    if accuracy:
        history.accuracy.append(net.accuracy(X, Y, forward=trace, checked=True))
    if X_val is not None:
        vtrace = net.forward_trace(X_val, workspace=ws_val, checked=True)
        history.val_loss.append(net.cost(X_val, Y_val, 0.0, forward=vtrace, checked=True))
        if accuracy:
            history.val_accuracy.append(net.accuracy(X_val, Y_val, forward=vtrace, checked=True))
    return trace


def divergence_message(history, epoch, cost, largest, n):
    """One plain sentence: when training diverged, what was seen, and what to change.

    When λ > 0 and ηλ/n > 2, the weight-decay factor 1 − ηλ/n of every step is below −1,
    which by itself flips and grows the weights; otherwise η is blamed.
    """
    eta, lam = history.eta, history.lam
    if np.isnan(cost):
        seen = tr("the cost became NaN")
    elif not np.isfinite(cost):
        seen = tr("the cost became infinite")
    elif np.isfinite(largest):
        seen = tr("the weights exploded (the largest reached {largest})", largest=f"{largest:.1e}")
    else:
        seen = tr("a weight became infinite")
    factor = 1.0 - eta * lam / n
    if lam > 0 and factor < -1.0:
        why = tr("with η = {eta} and λ = {lam} the weight-decay factor 1 − ηλ/n = −{factor} is "
                 "below −1, so every step flips the weights and makes them larger — keep ηλ "
                 "below 2n = {two_n}", eta=f"{eta:.3g}", lam=f"{lam:.3g}",
                 factor=f"{-factor:.2f}", two_n=2 * n)
    else:
        why = tr("η = {eta} is too large for this network and data — try a value several times "
                 "smaller", eta=f"{eta:.3g}")
    return tr("Diverged at epoch {epoch}: {seen}; {why}.", epoch=epoch, seen=seen, why=why)
