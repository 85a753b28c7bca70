r"""L2 regularization (chapter 5).

The course's convention (document 003): the penalty is

.. math:: \frac{\lambda}{2m}\sum_l \lVert W^{(l)}\rVert_F^2,

with m the number of examples in the cost and the biases not penalized.
Its gradient adds :math:`\frac{\lambda}{m} W^{(l)}` to every weight gradient
and nothing to the bias gradients.  Document 004 writes :math:`\frac{\lambda}{2}\sum\lVert W\rVert^2`
instead; the chapter converts one λ into the other (:math:`\lambda_{004} = \lambda/m`).
"""

from __future__ import annotations

import numpy as np


def l2_penalty(weights, lam, m):
    r""":math:`\frac{\lambda}{2m}\sum_l\lVert W^{(l)}\rVert^2` (a float); biases are not passed in."""
    return lam / (2.0 * m) * float(sum(np.sum(W * W) for W in weights))


def l2_gradient(W, lam, m):
    r""":math:`\partial/\partial W` of the penalty for one layer: :math:`\frac{\lambda}{m}W`, shape of ``W``."""
    return (lam / m) * W


def weight_decay_factor(eta, lam, m):
    r"""The factor :math:`1-\eta\lambda/m` that one gradient step multiplies every weight by."""
    return 1.0 - eta * lam / m
