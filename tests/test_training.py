"""Training in the three batch modes, divergence, data sets, and the digits result."""

from __future__ import annotations

import time

import numpy as np
import pytest

import bp_lib
from bp_lib import datasets


@pytest.mark.parametrize("batch_size,eta,epochs", [(None, 2.0, 2000), (1, 0.5, 500), (2, 1.0, 600)])
def test_train_solves_xor_in_every_mode(batch_size, eta, epochs):
    X, Y = datasets.xor()
    net = bp_lib.Network([2, 4, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=0)
    h = bp_lib.train(net, X, Y, eta=eta, epochs=epochs, batch_size=batch_size, seed=0)
    assert not h.diverged
    assert len(h.cost) == epochs + 1
    assert h.cost[-1] < 0.1 * h.cost[0]
    assert net.accuracy(X, Y) == 1.0
    steps_per_epoch = {None: 1, 1: 4, 2: 2}[batch_size]
    assert h.steps == epochs * steps_per_epoch
    assert h.examples_seen[-1] == epochs * 4


def test_full_batch_step_is_one_gradient_step():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(6, 3)), rng.random((6, 2))
    net = bp_lib.Network([3, 4, 2], seed=1)
    before = net.copy()
    dW, db = before.gradients(X, Y, lam=0.3)
    bp_lib.train(net, X, Y, eta=0.5, lam=0.3, epochs=1)
    for l in range(2):
        np.testing.assert_allclose(net.weights[l], before.weights[l] - 0.5 * dW[l])
        np.testing.assert_allclose(net.biases[l], before.biases[l] - 0.5 * db[l])


def test_full_batch_epochs_are_plain_gradient_steps_with_a_validation_set_of_equal_size():
    """train reuses each epoch's recorded forward pass for the next step; with a
    validation set as large as the training set (whose pass must not overwrite
    that trace) the weights and costs still equal a loop over the public API."""
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(7, 3)), np.eye(2)[rng.integers(0, 2, 7)]
    Xv, Yv = rng.normal(size=(7, 3)), np.eye(2)[rng.integers(0, 2, 7)]
    net = bp_lib.Network([3, 5, 2], output="softmax", loss="softmax_cross_entropy", seed=4)
    manual = net.copy()
    h = bp_lib.train(net, X, Y, eta=0.7, lam=0.2, epochs=4, X_val=Xv, Y_val=Yv)
    costs, val_losses = [manual.cost(X, Y, lam=0.2)], [manual.cost(Xv, Yv)]
    for _ in range(4):
        dW, db = manual.gradients(X, Y, lam=0.2)
        for l in range(2):
            manual.weights[l] -= 0.7 * dW[l]
            manual.biases[l] -= 0.7 * db[l]
        costs.append(manual.cost(X, Y, lam=0.2))
        val_losses.append(manual.cost(Xv, Yv))
    for l in range(2):
        np.testing.assert_allclose(net.weights[l], manual.weights[l], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(net.biases[l], manual.biases[l], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h.cost, costs, rtol=1e-12)
    np.testing.assert_allclose(h.val_loss, val_losses, rtol=1e-12)


def test_lambda_means_the_same_in_every_mode():
    """A mini-batch contributes (λ/n)W to the weight gradient, n the training-set size."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, 3)), rng.random((6, 2))
    net = bp_lib.Network([3, 2], output="identity", seed=2)
    for W in net.weights:
        W[:] = 1.0
    X0, Y0 = np.zeros((6, 3)), np.zeros((6, 2))   # data gradient 0 on W: only decay acts
    bp_lib.train(net, X0, Y0, eta=0.1, lam=3.0, epochs=1, batch_size=2)
    np.testing.assert_allclose(net.weights[0], (1 - 0.1 * 3.0 / 6) ** 3)


def test_shuffling_is_seeded():
    X, Y = datasets.moons(40, seed=1)
    runs = []
    for seed in (0, 0, 1):
        net = bp_lib.Network([2, 5, 1], seed=0)
        runs.append(bp_lib.train(net, X, Y, eta=0.5, epochs=3, batch_size=4, seed=seed).cost)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_divergence_stops_and_says_so():
    X, Y = datasets.moons(50, seed=0)
    net = bp_lib.Network([2, 8, 1], hidden="relu", output="identity", loss="mse", seed=0)
    h = bp_lib.train(net, X, Y, eta=50.0, epochs=100)
    assert h.diverged
    assert h.epochs_run < 100
    assert h.message.startswith(f"Diverged at epoch {h.epochs_run}: ") and "η = 50 " in h.message
    assert "eta=" not in h.message and h.message.count("iverged") == 1
    assert "Diverged" in repr(h)
    assert np.isfinite(h.cost[:-1]).all()


def test_exploding_weights_count_as_divergence_even_with_a_finite_cost():
    """A sigmoid output saturates: with ηλ/n > 2 the weights grow geometrically while the
    cross-entropy stays finite; that is divergence too, and the message says why."""
    X, Y = datasets.moons(40, seed=0)
    net = bp_lib.Network([2, 6, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=0)
    h = bp_lib.train(net, X, Y, eta=1.0, lam=100.0, epochs=300)     # 1 − ηλ/n = −1.5
    assert h.diverged and h.epochs_run < 300
    assert np.isfinite(h.cost).all()                 # the cost alone would not have said so
    assert max(np.abs(W).max() for W in net.weights) > bp_lib.training.DIVERGENCE_LIMIT
    assert "1 − ηλ/n = −1.50" in h.message and "η = 1 and λ = 100" in h.message
    ok = bp_lib.train(bp_lib.Network([2, 6, 1], hidden="tanh", output="sigmoid",
                                     loss="cross_entropy", seed=0), X, Y, eta=1.0, lam=1.0, epochs=300)
    assert not ok.diverged


def test_history_records_validation_and_accuracy():
    X, Y = datasets.spirals(90, seed=0)
    Xv, Yv = datasets.spirals(60, seed=1)
    net = bp_lib.Network([2, 10, 3], output="softmax", loss="softmax_cross_entropy")
    h = bp_lib.train(net, X, Y, eta=0.5, lam=0.1, epochs=5, X_val=Xv, Y_val=Yv, accuracy=True)
    assert len(h.cost) == len(h.loss) == len(h.accuracy) == len(h.val_loss) \
        == len(h.val_accuracy) == 6
    assert all(c > l for c, l in zip(h.cost, h.loss))       # the L2 term is positive
    assert h.val_accuracy[-1] == pytest.approx(net.accuracy(Xv, Yv))


@pytest.mark.parametrize("make", [datasets.moons, datasets.circles, datasets.spirals,
                                  datasets.toy3])
def test_generators_are_deterministic(make):
    X1, Y1 = make(seed=3)
    X2, Y2 = make(seed=3)
    X3, _ = make(seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape[0] == Y1.shape[0]
    assert np.all(np.isfinite(X1))


def test_toy3_is_document_003s_shape():
    X, Y = datasets.toy3()
    assert X.shape[1] == 3 and Y.shape[1] == 3
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)


def test_real_data_sets_are_bundled():
    X, Y = datasets.load_digits()
    assert X.shape == (1797, 64) and Y.shape == (1797, 10)
    assert X.min() == 0.0 and X.max() == 1.0
    X, Y = datasets.load_iris()
    assert X.shape == (150, 4) and Y.shape == (150, 3)
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)


def test_digits_reach_97_percent():
    """64-32-10, sigmoid hidden, softmax output, mini-batch 16, fixed seed and split."""
    X, Y = datasets.load_digits()
    X_train, X_test, Y_train, Y_test = datasets.train_test_split(X, Y, test_size=0.25, seed=0)
    net = bp_lib.Network([64, 32, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=0)
    t0 = time.perf_counter()
    h = bp_lib.train(net, X_train, Y_train, eta=0.5, lam=0.5, epochs=40, batch_size=16, seed=0)
    seconds = time.perf_counter() - t0
    accuracy = net.accuracy(X_test, Y_test)
    print(f"\ndigits 64-32-10: test accuracy {accuracy:.4f} after {h.epochs_run} epochs "
          f"in {seconds:.2f} s")
    assert not h.diverged
    assert accuracy >= 0.97
