"""Chapter 5's claims, recomputed here independently of the notebook: what L2 buys on the
30-point moons problem, early stopping, the 004 conversion, weight decay on its own, the
L1 exercise, and 003 (2.6.1)'s bias column."""

from __future__ import annotations

import numpy as np
import pytest

import bp_lib
from bp_lib import Network, datasets, numerical_gradient, regularization
from bp_lib.exercises import check, get


def _task(seed):
    X, Y = datasets.moons(m=30, noise=0.3, seed=seed)
    X_val, Y_val = datasets.moons(m=1000, noise=0.3, seed=1000 + seed)
    return X, Y, X_val, Y_val


def _fit(lam, X, Y, X_val, Y_val):
    net = Network([2, 40, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=0)
    h = bp_lib.train(net, X, Y, eta=1.0, lam=lam, epochs=1000, X_val=X_val, Y_val=Y_val,
                     accuracy=True)
    return net, h


def _val_accuracy(net, X_val, Y_val):
    """Computed here from the network's outputs, not taken from the History."""
    return float(np.mean((net.forward(X_val) > 0.5) == (Y_val > 0.5)))


@pytest.fixture(scope="module")
def draw1():
    task = _task(1)
    return task, {lam: _fit(lam, *task) for lam in (0.0, 0.1, 1.0, 3.0)}


def test_l2_buys_accuracy_and_halves_the_validation_loss_on_draw_1(draw1):
    task, fits = draw1
    acc = {lam: _val_accuracy(net, task[2], task[3]) for lam, (net, _) in fits.items()}
    assert acc[0.0] == pytest.approx(0.868, abs=5e-4) and acc[0.1] == pytest.approx(0.910, abs=5e-4)
    assert acc[0.1] - acc[0.0] > 0.04                         # "4 more points in a hundred"
    loss = {lam: h.val_loss[-1] for lam, (_, h) in fits.items()}
    assert loss[0.1] < loss[0.0] / 2                          # "cut by more than half"
    train_acc = {lam: h.accuracy[-1] for lam, (_, h) in fits.items()}
    assert train_acc[1.0] < train_acc[0.0] and acc[1.0] < acc[0.1] and acc[3.0] < acc[0.1]
    sizes = {lam: np.sqrt(sum(np.sum(W ** 2) for W in net.weights)) for lam, (net, _) in fits.items()}
    assert sizes[0.0] > sizes[0.1] > sizes[1.0] > sizes[3.0]
    assert round(sizes[0.0], 1) == 13.6 and round(sizes[0.1], 1) == 7.2


def test_early_stopping_on_draw_1_matches_the_chapter(draw1):
    _, fits = draw1
    h0, h1 = fits[0.0][1], fits[0.1][1]
    best = int(np.argmin(h0.val_loss))
    assert best == 143
    assert h0.val_loss[-1] > 2 * h0.val_loss[best]            # "turns up"
    assert abs(h0.val_loss[best] - h1.val_loss[-1]) < 0.02    # "as good as each other"
    assert np.all(np.diff(h0.loss[100:]) < 0)                 # training loss keeps falling


def test_the_four_other_draws():
    """Every draw: λ = 0.1 lowers the validation loss; accuracy +2.5 to 5 points in three,
    unchanged in draw 4, where early stopping picks epoch 4 and has the lowest accuracy."""
    gains = {}
    for seed in (0, 2, 3, 4):
        task = _task(seed)
        (n0, a), (n1, b) = _fit(0.0, *task), _fit(0.1, *task)
        assert b.val_loss[-1] < 0.65 * a.val_loss[-1], seed
        gains[seed] = _val_accuracy(n1, *task[2:]) - _val_accuracy(n0, *task[2:])
        if seed == 4:
            e = int(np.argmin(a.val_loss))
            assert e == 4 and a.val_accuracy[e] < min(a.val_accuracy[-1], b.val_accuracy[-1])
    assert all(0.024 < gains[s] < 0.052 for s in (0, 2, 3)) and abs(gains[4]) < 1e-9, gains


def test_004s_cost_with_the_converted_lambda_has_the_course_gradient():
    """Finite differences of J_004 = J0 + (λ₀₀₄/2)Σ‖W‖² (written here from scratch) equal the
    course's dJ0/dW + (λ/n)W exactly when λ₀₀₄ = λ/n — and not with λ unconverted."""
    rng = np.random.default_rng(3)
    net = Network([4, 5, 3], hidden="sigmoid", output="softmax", loss="softmax_cross_entropy", seed=0)
    X, Y = rng.normal(size=(6, 4)), bp_lib.one_hot(np.array([0, 2, 1, 1, 0, 2]), 3)
    lam, n = 0.7, 6
    dW0 = net.gradients(X, Y, lam=0.0)[0]
    for l in range(net.n_layers):
        course = dW0[l] + lam / n * net.weights[l]

        def j004(lam_004):
            return net.cost(X, Y, lam=0.0) + lam_004 / 2 * sum(np.sum(W ** 2) for W in net.weights)
        good = numerical_gradient(lambda: j004(lam / n), net.weights[l])
        bad = numerical_gradient(lambda: j004(lam), net.weights[l])
        np.testing.assert_allclose(good, course, rtol=1e-7, atol=1e-9)
        assert np.max(np.abs(bad - course)) > 0.1


def test_with_no_data_pull_weights_decay_by_the_factor_every_step():
    X0, Y0 = np.zeros((10, 2)), np.ones((10, 1))
    for lam in (0.5, 2.0, 5.0):
        net = Network([2, 4, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=3)
        W0 = net.weights[0].copy()
        bp_lib.train(net, X0, Y0, eta=0.5, lam=lam, epochs=30)
        factor = regularization.weight_decay_factor(0.5, lam, 10)
        assert factor == pytest.approx(1 - 0.5 * lam / 10)
        np.testing.assert_allclose(net.weights[0], W0 * factor ** 30, rtol=1e-12)


def test_l1_exercise_answers_and_mistakes():
    ex = get("l1_gradients")
    assert check("l1_gradients", ex.reference)
    named = {m.name for m in ex.mistakes}
    assert {"l2_gradient_used", "abs_not_differentiated", "half_added", "lam_not_over_n",
            "bias_regularized", "kink_not_zero"} <= named

    def ge_zero(dW, db, Ws, bs, lam, n):
        return ([g + lam / n * np.where(W >= 0, 1.0, -1.0) for g, W in zip(dW, Ws)],
                [g.copy() for g in db])
    assert check("l1_gradients", ge_zero).mistake == "kink_not_zero"
    shapes = {tuple(W.shape for W in case[2]) for case in ex.cases(np.random.default_rng(0))}
    assert len(shapes) > 1                                     # trials vary the layer widths
    assert any(np.any(W == 0) for case in ex.cases(np.random.default_rng(1)) for W in case[2])


def test_003_bias_column_penalized_is_the_wrong_gradient():
    """003's Θ layout: the gradient without a penalty on column 0 matches finite differences
    of the course's cost; penalizing column 0 too (the bug (2.6.1)'s typo invites) does not."""
    rng = np.random.default_rng(5)
    net = Network([4, 5, 3], hidden="sigmoid", output="softmax", loss="softmax_cross_entropy", seed=0)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X, Y = rng.normal(size=(6, 4)), bp_lib.one_hot(np.array([0, 2, 1, 1, 0, 2]), 3)
    lam, n = 0.7, 6
    dW0, db0 = net.gradients(X, Y, lam=0.0)
    for l in range(net.n_layers):
        T = np.column_stack([net.biases[l], net.weights[l]])
        data = np.column_stack([db0[l], dW0[l]])
        numeric = np.column_stack([numerical_gradient(lambda: net.cost(X, Y, lam), net.biases[l]),
                                   numerical_gradient(lambda: net.cost(X, Y, lam), net.weights[l])])
        right = data + np.column_stack([np.zeros(len(T)), lam / n * T[:, 1:]])
        np.testing.assert_allclose(right, numeric, rtol=1e-6, atol=1e-8)
        assert np.max(np.abs(data + lam / n * T - numeric)) > 1e-2
