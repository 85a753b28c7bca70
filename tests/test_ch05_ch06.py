"""Chapters 5 and 6: the exercises' references and recognised mistakes, the regularized
gradients against finite differences, one epoch against bp_lib.train, the figures, and the
digits result."""

from __future__ import annotations

import copy
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import bp_lib
from bp_lib import datasets, plots
from bp_lib.exercises import ch05, ch06, check, get

matplotlib.use("Agg")

IDS = ("l2_cost", "l2_gradients", "one_epoch", "backprop")


# ------------------------------------------------------------------ exercises
@pytest.mark.parametrize("eid", IDS)
def test_reference_passes_check(eid):
    ex = get(eid)
    assert ex.chapter in (5, 6) and 1 <= ex.points <= 3
    assert check(eid, ex.reference), check(eid, ex.reference).message
    for _ in range(3):
        assert check(eid, ex.reference, seed="fresh")


@pytest.mark.parametrize("eid,name", [(e, m.name) for e in IDS for m in get(e).mistakes
                                      if m.wrong is not None])
def test_every_mistake_is_recognised_by_name(eid, name):
    for mistake in (m for m in get(eid).mistakes if m.name == name and m.wrong is not None):
        result = check(eid, mistake.wrong)
        assert not result
        assert result.mistake == name, result.message
        assert mistake.hint.split(":")[0][:20] in result.message


def test_required_mistake_names_are_registered():
    names = {e: {m.name for m in get(e).mistakes} for e in IDS}
    assert {"lam_not_over_m", "half_missing"} <= names["l2_cost"]
    assert {"bias_regularized", "lam_not_over_m"} <= names["l2_gradients"]
    assert {"one_over_m_missing", "bias_regularized", "lam_not_over_m",
            "W_not_transposed"} <= names["backprop"]


def _backprop_W_not_transposed(X, Y, weights, biases, lam):
    m = X.shape[0]
    acts = [X]
    for l, (W, b) in enumerate(zip(weights, biases)):
        Z = acts[-1] @ W.T + b
        acts.append(bp_lib.activations.softmax(Z) if l == len(weights) - 1
                    else bp_lib.activations.sigmoid(Z))
    delta = acts[-1] - Y
    dW, db = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        dW[l] = delta.T @ acts[l] / m + lam / m * weights[l]
        db[l] = delta.mean(axis=0)
        if l:
            delta = (delta @ weights[l].T) * acts[l] * (1 - acts[l])   # the mistake
    return dW, db


def test_W_not_transposed_is_recognised_from_numpys_error():
    result = check("backprop", _backprop_W_not_transposed)
    assert not result
    assert result.mistake == "W_not_transposed"
    assert "matmul" in result.message


def test_stub_and_sign_flip():
    def stub(*args):
        raise NotImplementedError()

    for eid in IDS:
        assert "not implemented yet" in check(eid, stub).message
    flipped = check("l2_gradients", lambda *a: tuple(
        [-g for g in part] for part in ch05._l2_gradients(*a)))
    assert flipped.mistake == "sign_flipped"


def test_every_check_of_one_epoch_covers_the_three_modes():
    for seed in (0, 1):   # whatever the seed, and however often check ran before
        cases = get("one_epoch").cases(np.random.default_rng(seed))
        assert [case[5] for case in cases] == [None, 1, ch06.EPOCH_MINI]


@pytest.mark.parametrize("batch_size", [None, 1, 2, 3, 7])
def test_one_epoch_reference_is_one_epoch_of_train(batch_size):
    rng = np.random.default_rng(5)
    net, X, Y, eta, lam, _, seed = ch06._epoch_inputs(rng)
    weights, biases = ch06._one_epoch(net.copy(), X, Y, eta, lam, batch_size, seed)
    trained = net.copy()
    h = bp_lib.train(trained, X, Y, eta=eta, lam=lam, epochs=1, batch_size=batch_size, seed=seed)
    assert h.steps == (1 if batch_size is None else -(-len(X) // batch_size))
    for mine, theirs in zip(weights + biases, trained.weights + trained.biases):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)


# ------------------------------------------------- gradients vs finite differences
def test_regularized_gradients_match_finite_differences():
    """J = J₀ + λ/(2m)Σ‖W‖²: J₀'s backprop gradients + l2_gradients vs centred differences."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(7, 4))
    Y = bp_lib.one_hot(rng.integers(0, 3, 7), 3)
    net = bp_lib.Network([4, 5, 2, 3], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=3)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    lam, m = 1.7, len(X)
    dW0, db0 = net.gradients(X, Y, lam=0.0)
    dW, db = ch05._l2_gradients(dW0, db0, net.weights, net.biases, lam, m)
    for l in range(net.n_layers):
        for param, analytic in ((net.weights[l], dW[l]), (net.biases[l], db[l])):
            numeric = bp_lib.numerical_gradient(lambda: net.cost(X, Y, lam), param)
            assert bp_lib.array_relative_error(analytic, numeric) < 1e-7
    # the cost exercise agrees with the network's cost
    J = ch05._l2_cost(net.cost(X, Y, 0.0), net.weights, lam, m)
    np.testing.assert_allclose(J, net.cost(X, Y, lam), rtol=1e-12)
    # and with bp_lib's own L2 gradient
    for l in range(net.n_layers):
        np.testing.assert_allclose(dW[l], net.gradients(X, Y, lam)[0][l], rtol=1e-10)


def test_backprop_reference_matches_network_and_finite_differences():
    rng = np.random.default_rng(2)
    X, Y, weights, biases, lam = ch06._backprop_inputs(rng)
    dW, db = ch06._backprop_reference(X, Y, weights, biases, lam)
    net = bp_lib.Network(list(ch06.BACKPROP_SIZES), hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy")
    net.weights, net.biases = copy.deepcopy(weights), copy.deepcopy(biases)
    report = bp_lib.gradient_check(net, X, Y, lam=lam, gradients=(dW, db))
    assert report.ok, report
    assert all(W.shape[0] != W.shape[1] for W in weights)


def test_weight_decay_form_of_the_update():
    """One full-batch step = (1 − ηλ/m) W − η ∂J₀/∂W."""
    X, Y = datasets.moons(12, seed=4)
    net = bp_lib.Network([2, 3, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=1)
    eta, lam, m = 0.4, 2.0, 12
    dW0, _ = net.gradients(X, Y, 0.0)
    expected = [bp_lib.regularization.weight_decay_factor(eta, lam, m) * W - eta * g
                for W, g in zip(net.weights, dW0)]
    bp_lib.train(net, X, Y, eta=eta, lam=lam, epochs=1)
    for got, want in zip(net.weights, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_mean_of_minibatch_gradients_is_the_full_gradient():
    """train's λ·m/n per batch: the batches of one partition average to ∂J/∂W exactly."""
    X, Y = datasets.moons(12, seed=4)
    net = bp_lib.Network([2, 3, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=1)
    lam, n, k = 2.0, 12, 4
    parts = [net.gradients(X[i:i + k], Y[i:i + k], lam * k / n)[0] for i in range(0, n, k)]
    full = net.gradients(X, Y, lam)[0]
    for l in range(net.n_layers):
        np.testing.assert_allclose(np.mean([p[l] for p in parts], axis=0), full[l], rtol=1e-12)


# ------------------------------------------------------------------ sklearn's alpha
def test_sklearn_alpha_is_lambda_times_batch_over_n():
    """One epoch of MLPClassifier(solver='sgd') with alpha = λ·b/n = one epoch of bp_lib.train
    in the same batch order (no shuffling on either side: batches in data order)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    n, b, lam, eta = 12, 4, 1.5, 0.3
    X = rng.normal(size=(n, 4))
    labels = np.arange(n) % 3
    Y = bp_lib.one_hot(labels, 3)
    net = bp_lib.Network([4, 5, 3], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=0)
    clf = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", solver="sgd",
                        learning_rate_init=eta, momentum=0.0, batch_size=b, alpha=lam * b / n,
                        max_iter=1, shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.partial_fit(X, labels, classes=[0, 1, 2])          # builds the layers
        clf.coefs_ = [W.T.copy() for W in net.weights]
        clf.intercepts_ = [bb.copy() for bb in net.biases]
        clf.partial_fit(X, labels)                             # one epoch of 3 batches
    # bp_lib with the same batch order: the identity permutation, one batch at a time
    for i in range(0, n, b):
        bp_lib.train(net, X[i:i + b], Y[i:i + b], eta=eta, lam=lam * b / n, epochs=1)
    for W, C in zip(net.weights, clf.coefs_):
        np.testing.assert_allclose(W, C.T, rtol=1e-10)


# ------------------------------------------------------------------ figures
def test_confusion_matrix_counts_and_figure():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 2, 1, 1])
    C = plots.confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 1], [0, 0, 2]])
    ax = plots.plot_confusion_matrix(y_true, y_pred, n_classes=3)
    assert len(ax.texts) == np.count_nonzero(C)
    plt.close(ax.figure)


def test_hidden_units_and_boundary_grid_figures():
    W = np.random.default_rng(0).normal(size=(10, 64))
    fig = plots.plot_hidden_units(W, ncols=5)
    assert sum(1 for ax in fig.axes if ax.images) == 10
    plt.close(fig)
    with pytest.raises(ValueError, match="64 columns"):
        plots.plot_hidden_units(W[:, :60])
    X, Y = datasets.moons(20, seed=0)
    nets = [bp_lib.Network([2, 3, 1], seed=s) for s in range(3)]
    fig = plots.plot_boundary_grid(nets, X, Y, ["a", "b", "c"], X_val=X, Y_val=Y, resolution=20)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
    plt.close(fig)


# ------------------------------------------------------------------ digits
def test_digits_result_of_chapter_6():
    """The chapter's settings (keep in step with solutions/06_*.ipynb): ≥ 97 % test accuracy."""
    X, Y = datasets.load_digits()
    X_train, X_test, Y_train, Y_test = datasets.train_test_split(X, Y, test_size=0.25, seed=0)
    net = bp_lib.Network([64, 32, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=0)
    h = bp_lib.train(net, X_train, Y_train, eta=0.2, lam=0.3, epochs=50, batch_size=10, seed=0)
    assert not h.diverged
    assert net.accuracy(X_test, Y_test) >= 0.97
