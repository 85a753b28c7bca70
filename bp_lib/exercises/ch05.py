r"""Chapter 5's exercises: the L2-regularized cost and its gradients.

The course's convention (document 003):

.. math:: J = J_0 + \frac{\lambda}{2n}\sum_l \lVert W^{(l)}\rVert_F^2, \qquad
          \frac{\partial J}{\partial W^{(l)}} = \frac{\partial J_0}{\partial W^{(l)}} + \frac{\lambda}{n}W^{(l)},
          \qquad \frac{\partial J}{\partial b^{(l)}} = \frac{\partial J_0}{\partial b^{(l)}}.

The inputs are lists for a network of widths like ``[4, 3, 2]``: no weight
matrix is square, and n (the number of training examples) differs from every width.  ``l2_gradients`` gets the
biases too, because a learner must decide to leave them alone — a gradient
that penalizes them is recognised by name.
"""

from __future__ import annotations

import numpy as np

from .core import Exercise, Mistake, register


def _sizes(rng):
    """Widths of a 2- or 3-layer network with no square weight matrix."""
    n_layers = int(rng.integers(2, 4))
    while True:
        sizes = [int(s) for s in rng.integers(2, 7, size=n_layers + 1)]
        if all(a != b for a, b in zip(sizes[:-1], sizes[1:])):
            return sizes


def _parameters(rng, sizes):
    weights = [rng.normal(size=(n, n_prev)) for n_prev, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=n) for n in sizes[1:]]
    return weights, biases


# ------------------------------------------------------------------ l2_cost
def _cost_inputs(rng):
    weights, _ = _parameters(rng, _sizes(rng))
    J0 = float(rng.uniform(0.2, 2.0))
    lam = float(rng.uniform(0.5, 3.0))
    m = int(rng.integers(7, 15))
    return J0, weights, lam, m


def _sq(weights):
    return float(sum(np.sum(W * W) for W in weights))


def _l2_cost(J0, weights, lam, m):
    return J0 + lam / (2 * m) * _sq(weights)


register(Exercise(
    id="l2_cost", chapter=5, points=1,
    signature="l2_cost(J0, weights, lam, n)",
    summary="J = J₀ + λ/(2n) Σ_l ‖W⁽ˡ⁾‖² (sum of every squared weight), a float",
    make_inputs=_cost_inputs, reference=_l2_cost,
    mistakes=(
        Mistake("lam_not_over_m",
                "the penalty is λ/2 Σ‖W‖² — document 004's weight-decay scale. This course "
                "(like document 003) divides by the number of training examples n too: λ/(2n) Σ‖W‖².",
                lambda J0, Ws, lam, m: J0 + lam / 2 * _sq(Ws)),
        Mistake("half_missing",
                "the ½ is missing: the penalty is λ/(2n) Σ‖W‖², not λ/n Σ‖W‖² (the ½ is "
                "there so that the gradient comes out as (λ/n) W).",
                lambda J0, Ws, lam, m: J0 + lam / m * _sq(Ws)),
        Mistake("norm_not_squared",
                "‖W‖ was used instead of ‖W‖²: square every weight and add them up, "
                "np.sum(W ** 2) for each layer.",
                lambda J0, Ws, lam, m: J0 + lam / (2 * m) * sum(np.linalg.norm(W) for W in Ws)),
        Mistake("J0_missing",
                "only the penalty was returned: the regularized cost is J₀ plus the penalty.",
                lambda J0, Ws, lam, m: lam / (2 * m) * _sq(Ws)),
        Mistake("last_layer_only",
                "only one layer's weights were penalized: the sum runs over every layer l.",
                lambda J0, Ws, lam, m: J0 + lam / (2 * m) * _sq(Ws[-1:])),
    ),
))


# -------------------------------------------------------------- l2_gradients
def _gradient_inputs(rng):
    sizes = _sizes(rng)
    weights, biases = _parameters(rng, sizes)
    dW = [rng.normal(size=W.shape) for W in weights]
    db = [rng.normal(size=b.shape) for b in biases]
    lam = float(rng.uniform(0.5, 3.0))
    m = int(rng.integers(7, 15))
    return dW, db, weights, biases, lam, m


def _l2_gradients(dW, db, weights, biases, lam, m):
    return ([g + (lam / m) * W for g, W in zip(dW, weights)], [g.copy() for g in db])


def _grad_variant(dW, db, weights, biases, *, w_scale, b_scale=0.0):
    return ([g + w_scale * W for g, W in zip(dW, weights)],
            [g + b_scale * b for g, b in zip(db, biases)])


register(Exercise(
    id="l2_gradients", chapter=5, points=2,
    signature="l2_gradients(dW, db, weights, biases, lam, n)",
    summary="add the penalty's gradient: dW⁽ˡ⁾ + (λ/n) W⁽ˡ⁾ for every layer, db unchanged; "
            "returns (dW_reg, db_reg)",
    make_inputs=_gradient_inputs, reference=_l2_gradients,
    mistakes=(
        Mistake("bias_regularized",
                "the biases were penalized too: the penalty sums squared weights only, so it "
                "does not depend on b and ∂/∂b of it is 0 — return db unchanged. (Document "
                "003's case i = 0, the bias column of Θ.)",
                lambda dW, db, Ws, bs, lam, m: _grad_variant(dW, db, Ws, bs, w_scale=lam / m,
                                                            b_scale=lam / m)),
        Mistake("lam_not_over_m",
                "λW was added instead of (λ/n)W — the gradient of document 004's λ/2 Σ‖W‖². "
                "With this course's λ/(2n) Σ‖W‖² the derivative is (λ/n) W.",
                lambda dW, db, Ws, bs, lam, m: _grad_variant(dW, db, Ws, bs, w_scale=lam)),
        Mistake("lam_not_over_m",
                "λW was added, and to the biases too: use (λ/n) W for the weights and leave "
                "db unchanged.",
                lambda dW, db, Ws, bs, lam, m: _grad_variant(dW, db, Ws, bs, w_scale=lam,
                                                            b_scale=lam)),
        Mistake("half_kept",
                "(λ/(2n)) W was added: differentiating W² gives 2W, and that 2 cancels the ½ "
                "of λ/(2n) — the gradient is (λ/n) W.",
                lambda dW, db, Ws, bs, lam, m: _grad_variant(dW, db, Ws, bs,
                                                            w_scale=lam / (2 * m))),
        Mistake("penalty_replaces_gradient",
                "the result is (λ/n) W alone: the penalty's gradient is added to dW, the "
                "gradient of J₀, not put in its place.",
                lambda dW, db, Ws, bs, lam, m: ([(lam / m) * W for W in Ws],
                                                [g.copy() for g in db])),
        Mistake("decay_step_returned",
                "that is the weight-decay update (1 − λ/n) W − dW, not a gradient: return "
                "dW + (λ/n) W and let the update step subtract η times it.",
                lambda dW, db, Ws, bs, lam, m: ([(1 - lam / m) * W - g for g, W in zip(dW, Ws)],
                                                [g.copy() for g in db])),
    ),
))


# -------------------------------------------------------------- l1_gradients
def _l1_inputs(rng):
    dW, db, weights, biases, lam, n = _gradient_inputs(rng)
    for W in weights:                          # a few weights exactly 0: |w| has a kink there
        W[rng.random(W.shape) < 0.25] = 0.0
    return dW, db, weights, biases, lam, n


def _l1_gradients(dW, db, weights, biases, lam, n):
    return ([g + (lam / n) * np.sign(W) for g, W in zip(dW, weights)], [g.copy() for g in db])


def _l1_variant(dW, db, weights, biases, w_term, b_term=None):
    return ([g + w_term(W) for g, W in zip(dW, weights)],
            [g + (b_term(b) if b_term else 0.0) for g, b in zip(db, biases)])


register(Exercise(
    id="l1_gradients", chapter=5, points=3,
    signature="l1_gradients(dW, db, weights, biases, lam, n)",
    summary="the gradients of J = J₀ + (λ/n) Σ_l Σ|W⁽ˡ⁾_jk| (L1, weights only; 0 where a "
            "weight is exactly 0), given those of J₀; returns (dW_reg, db_reg)",
    make_inputs=_l1_inputs, reference=_l1_gradients,
    mistakes=(
        Mistake("l2_gradient_used",
                "that is the L2 penalty's gradient, (λ/n) W. Differentiate |w| instead: it is "
                "+1 where w > 0 and −1 where w < 0, whatever the size of w (np.sign).",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(dW, db, Ws, bs, lambda W: lam / n * W)),
        Mistake("abs_not_differentiated",
                "(λ/n)|W| was added: that is the penalty itself, not its derivative; the "
                "derivative of |w| is sign(w).",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(dW, db, Ws, bs,
                                                         lambda W: lam / n * np.abs(W))),
        Mistake("half_added",
                "(λ/(2n)) sign(W) was added: this penalty has no ½ (there is no square whose 2 "
                "it would cancel) — the gradient is (λ/n) sign(W).",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(dW, db, Ws, bs,
                                                         lambda W: lam / (2 * n) * np.sign(W))),
        Mistake("lam_not_over_n",
                "λ sign(W) was added: the penalty is (λ/n) Σ|W|, so its gradient is "
                "(λ/n) sign(W).",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(dW, db, Ws, bs,
                                                         lambda W: lam * np.sign(W))),
        Mistake("bias_regularized",
                "the biases were penalized too: the sum runs over weights only, so db stays "
                "unchanged.",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(dW, db, Ws, bs,
                                                         lambda W: lam / n * np.sign(W),
                                                         lambda b: lam / n * np.sign(b))),
        Mistake("kink_not_zero",
                "where a weight is exactly 0 the answer is not ±λ/n: |w| has no slope there, "
                "and the convention (a subgradient) is 0 — np.sign(0) is 0; a test like "
                "`np.where(W >= 0, 1, -1)` gives ±1.",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(
                    dW, db, Ws, bs, lambda W: lam / n * np.where(W >= 0, 1.0, -1.0))),
        Mistake("kink_not_zero",
                "where a weight is exactly 0 the answer is not ±λ/n: |w| has no slope there, "
                "and the convention (a subgradient) is 0 — np.sign(0) is 0.",
                lambda dW, db, Ws, bs, lam, n: _l1_variant(
                    dW, db, Ws, bs, lambda W: lam / n * np.where(W > 0, 1.0, -1.0))),
    ),
))
