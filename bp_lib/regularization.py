r"""L2 regularization (chapter 5).

The course's convention (document 003): the penalty is

.. math:: \frac{\lambda}{2m}\sum_l \lVert W^{(l)}\rVert_F^2,

with m the number of **training** examples (the n of chapters 5–6; a mini-batch step keeps it)
and the biases not penalized.
Its gradient adds :math:`\frac{\lambda}{m} W^{(l)}` to every weight gradient
and nothing to the bias gradients.  Document 004 writes :math:`\frac{\lambda}{2}\sum\lVert W\rVert^2`
instead; the chapter converts one λ into the other (:math:`\lambda_{004} = \lambda/m`).
"""

from __future__ import annotations

import numpy as np

from . import _validate as v


def _lam_m(lam, m):
    lam = v.real(lam, "lam", low=0.0)
    m = v.integer(m, "m", low=1)
    return lam, m


def l2_penalty(weights, lam, m):
    r""":math:`\frac{\lambda}{2m}\sum_l\lVert W^{(l)}\rVert^2` (a float); biases are not passed in.

    ``m`` is the number of training examples (the course's n)."""
    lam, m = _lam_m(lam, m)
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be a list of weight matrices; got {type(weights).__name__}")
    arrays = [v.as_float_array(W, f"weights[{l}]", "an array of numbers")
              for l, W in enumerate(weights)]
    return lam / (2.0 * m) * float(sum(np.sum(W * W) for W in arrays))


def l2_gradient(W, lam, m):
    r""":math:`\partial/\partial W` of the penalty for one layer: :math:`\frac{\lambda}{m}W`, shape of ``W``."""
    lam, m = _lam_m(lam, m)
    return (lam / m) * v.as_float_array(W, "W", "an array of numbers")


def weight_decay_factor(eta, lam, m):
    r"""The factor :math:`1-\eta\lambda/m` that one gradient step multiplies every weight by."""
    eta = v.real(eta, "eta", low=0.0, low_inclusive=False)
    lam, m = _lam_m(lam, m)
    return 1.0 - eta * lam / m
