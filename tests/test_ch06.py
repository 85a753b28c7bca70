"""Chapter 6 (revised): the exercises' cases vary depth and widths, every mistake is named by its
own hint, correct variants of one_epoch pass, Exercise 6.3 against finite differences, the
cost-against-time figure, shared-scale hidden units, and the claims the chapter prints."""

from __future__ import annotations

import copy

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import bp_lib
from bp_lib import activations, datasets, plots
from bp_lib.exercises import ch06, check, get
from bp_lib.widgets import explorers

matplotlib.use("Agg")

CH6 = ("one_epoch", "backprop", "backprop_tanh_bce")


# ------------------------------------------------------------------ exercise cases
@pytest.mark.parametrize("eid", ["backprop", "backprop_tanh_bce"])
def test_backprop_cases_vary_depth_widths_and_m_and_nothing_is_square(eid):
    cases = get(eid).cases(np.random.default_rng(0))
    depths = {len(case[2]) for case in cases}
    widths = {tuple([case[2][0].shape[1]] + [W.shape[0] for W in case[2]]) for case in cases}
    ms = {case[0].shape[0] for case in cases}
    assert len(depths) == 3 and len(widths) == 3 and len(ms) == 3
    for case in cases:
        X, Y, weights = case[0], case[1], case[2]
        assert all(W.shape[0] != W.shape[1] for W in weights)
        assert X.shape[0] not in {W.shape[0] for W in weights}     # m is no width


def test_one_epoch_cases_use_different_networks():
    cases = get("one_epoch").cases(np.random.default_rng(3))
    assert len({tuple(case[0].sizes) for case in cases}) == 3
    assert [case[5] for case in cases] == [None, 1, ch06.EPOCH_MINI]
    mini = cases[2]
    assert len(mini[1]) % mini[5] != 0                                # the last batch is short


def test_a_backprop_that_hard_codes_three_layers_fails():
    def three_layers_only(X, Y, weights, biases, lam):
        W1, W2, W3 = weights                                          # the example's depth
        return ch06._backprop_reference(X, Y, [W1, W2, W3], biases, lam)

    assert not check("backprop", three_layers_only)


# ------------------------------------------------------------------ mistakes and hints
@pytest.mark.parametrize("eid", CH6)
def test_every_mistake_is_named_by_its_own_hint(eid):
    exercise = get(eid)
    for mistake in exercise.mistakes:
        if mistake.wrong is None:
            continue
        for seed in (0, 1, 2):
            result = check(eid, mistake.wrong, seed=seed)
            assert not result
            assert result.mistake == mistake.name, (mistake.name, result.message)


@pytest.mark.parametrize("eid", CH6)
def test_the_reference_triggers_no_hint(eid):
    for seed in (0, 1, 2):
        result = check(eid, get(eid).reference, seed=seed)
        assert result and result.mistake is None and "Likely mistake" not in result.message


def test_softmax_elementwise_hint_no_longer_blames_document_001():
    hint = next(m.hint for m in get("backprop").mistakes if m.name == "softmax_elementwise")
    assert "001" not in hint


# ------------------------------------------------------------------ one_epoch: correct variants pass
def _via_train(net, X, Y, eta, lam, batch_size, seed):
    bp_lib.train(net, X, Y, eta=eta, lam=lam, epochs=1, batch_size=batch_size, seed=seed)
    return net.weights, net.biases


def _in_place_with_scaled_lambda(net, X, Y, eta, lam, batch_size, seed):
    n = len(X)
    k = n if batch_size is None else batch_size
    order = np.arange(n) if batch_size is None else np.random.default_rng(seed).permutation(n)
    for start in range(0, n, k):
        idx = order[start:start + k]
        dW, db = net.gradients(X[idx], Y[idx], lam * len(idx) / n)   # (λm/n)/m = λ/n
        for l in range(net.n_layers):
            net.weights[l] -= eta * dW[l]
            net.biases[l] -= eta * db[l]
    return list(net.weights), list(net.biases)


def _shuffles_even_in_full_batch(net, X, Y, eta, lam, batch_size, seed):
    n = len(X)
    order = np.random.default_rng(seed).permutation(n)
    k = n if batch_size is None else batch_size
    for start in range(0, n, k):
        idx = order[start:start + k]
        dW, db = net.gradients(X[idx], Y[idx])
        net.weights = [W - eta * (g + lam / n * W) for W, g in zip(net.weights, dW)]
        net.biases = [b - eta * g for b, g in zip(net.biases, db)]
    return tuple(net.weights), tuple(net.biases)


@pytest.mark.parametrize("variant", [_in_place_with_scaled_lambda, _shuffles_even_in_full_batch])
def test_correct_variants_of_one_epoch_pass(variant):
    for seed in (0, 1, 2, 3):
        result = check("one_epoch", variant, seed=seed)
        assert result, result.message


@pytest.mark.tripwire
def test_one_epoch_by_the_librarys_train_is_refused_but_net_gradients_is_allowed():
    result = check("one_epoch", _via_train)
    assert not result and result.mistake == "library_call", result.message
    assert "bp_lib.train" in result.message
    assert check("one_epoch", _in_place_with_scaled_lambda)     # uses net.gradients


# ------------------------------------------------------------------ Exercise 6.3
def _tanh_bce_cost(X, Y, weights, biases):
    A = X
    for l, (W, b) in enumerate(zip(weights, biases)):
        Z = A @ W.T + b
        A = activations.sigmoid(Z) if l == len(weights) - 1 else np.tanh(Z)
    return float(-np.mean(np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=1)))


@pytest.mark.parametrize("trial", [0, 1, 2])
def test_tanh_bce_reference_against_finite_differences(trial):
    X, Y, weights, biases = ch06._tanh_bce_inputs(np.random.default_rng(10 + trial), trial)
    dW, db = ch06._tanh_bce_reference(X, Y, weights, biases)
    for params, grads in ((weights, dW), (biases, db)):
        for p, g in zip(params, grads):
            numeric = bp_lib.numerical_gradient(lambda: _tanh_bce_cost(X, Y, weights, biases), p)
            assert g.shape == p.shape
            assert bp_lib.array_relative_error(g, numeric) < bp_lib.gradcheck.TOLERANCE


def test_tanh_bce_reference_matches_bp_lib_network():
    X, Y, weights, biases = ch06._tanh_bce_inputs(np.random.default_rng(4), 2)
    sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
    net = bp_lib.Network(sizes, hidden="tanh", output="sigmoid", loss="cross_entropy")
    net.weights, net.biases = copy.deepcopy(weights), copy.deepcopy(biases)
    dW, db = ch06._tanh_bce_reference(X, Y, weights, biases)
    lib_dW, lib_db = net.gradients(X, Y)
    for a, b in zip(dW + db, lib_dW + lib_db):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


# ------------------------------------------------------------------ figures
def test_plot_cost_vs_time_places_epochs_at_equal_shares_of_the_time():
    X, Y = datasets.moons(m=30, seed=1)
    runs = [bp_lib.train(bp_lib.Network([2, 3, 1], hidden="tanh", output="sigmoid",
                                        loss="cross_entropy", seed=0), X, Y, eta=0.5,
                         epochs=e, batch_size=bs, seed=0) for e, bs in ((8, None), (4, 5))]
    fig, ax = plt.subplots()
    plots.plot_cost_vs_time(runs, [0.2, 0.1], ax)
    first, second = ax.get_lines()
    np.testing.assert_allclose(first.get_xdata(), np.arange(9) * 0.2 / 8)
    np.testing.assert_allclose(second.get_ydata(), runs[1].cost)
    assert ax.get_xscale() == "linear" and ax.get_legend() is not None
    plt.close(fig)
    fig, ax = plt.subplots()
    plots.plot_cost_vs_time(runs, [0.2, 0.1], ax, log_time=True)
    assert ax.get_xscale() == "log" and len(ax.get_lines()[0].get_xdata()) == 8   # t = 0 left out
    plt.close(fig)


def test_plot_cost_vs_time_rejects_bad_times():
    X, Y = datasets.moons(m=20, seed=1)
    h = bp_lib.train(bp_lib.Network([2, 3, 1], output="sigmoid", loss="cross_entropy"), X, Y,
                     eta=0.5, epochs=2)
    with pytest.raises(ValueError, match="one time per history"):
        plots.plot_cost_vs_time([h, h], [0.1])
    with pytest.raises(ValueError, match="positive and finite"):
        plots.plot_cost_vs_time([h], [0.0])
    plt.close("all")


def test_plot_hidden_units_shared_scale_gives_one_colour_range_and_a_bar():
    W = np.random.default_rng(0).normal(size=(6, 16)) * np.arange(1, 7)[:, None]
    fig = plots.plot_hidden_units(W, image_shape=(4, 4), ncols=3, shared_scale=True)
    images = [ax.get_images()[0] for ax in fig.axes if ax.get_images()]
    assert len(images) == 6
    assert {im.get_clim() for im in images} == {(-np.abs(W).max(), np.abs(W).max())}
    assert len(fig.axes) == 7                                        # six units + the colour bar
    plt.close(fig)
    fig = plots.plot_hidden_units(W, image_shape=(4, 4), ncols=3)
    assert len({fig.axes[j].get_images()[0].get_clim() for j in range(6)}) == 6
    plt.close(fig)


# ------------------------------------------------------------------ claims the chapter prints
def test_zero_initialization_keeps_every_hidden_unit_identical():
    X, Y = datasets.load_digits()
    net = bp_lib.Network([64, 7, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy")
    net.weights = [np.zeros_like(W) for W in net.weights]
    bp_lib.train(net, X[:200], Y[:200], eta=1.0, epochs=3, batch_size=10, seed=0)
    W1 = net.weights[0]
    assert np.linalg.norm(W1) > 1.0                                  # it moved ...
    assert np.abs(W1 - W1[0]).max() < 1e-12                          # ... as one unit
    random_start = bp_lib.Network([64, 7, 10], hidden="sigmoid", output="softmax",
                                  loss="softmax_cross_entropy", seed=0)
    assert np.abs(random_start.weights[0] - random_start.weights[0][0]).max() > 0.1


def test_first_cost_is_near_ln_10():
    X, Y = datasets.load_digits()
    net = bp_lib.Network([64, 32, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=0)
    assert abs(net.cost(X, Y) - np.log(10)) < 0.1


def test_a_pixel_blank_in_every_image_only_decays():
    X, Y = datasets.moons(m=40, seed=2)
    X = np.column_stack([X, np.zeros(40)])                           # a blank third input
    net = bp_lib.Network([3, 5, 1], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=1)
    start = net.weights[0][:, 2].copy()
    eta, lam = 0.5, 2.0
    h = bp_lib.train(net, X, Y, eta=eta, lam=lam, epochs=6, batch_size=7, seed=0)
    np.testing.assert_allclose(net.weights[0][:, 2], start * (1 - eta * lam / 40) ** h.steps,
                               rtol=1e-12)


def test_a_summed_gradient_needs_an_eta_n_times_smaller():
    n = len(explorers.eta_data()[0])
    assert explorers.eta_run(0.3 * n)[1].diverged
    assert not explorers.eta_run(0.3 / n * n)[1].diverged


def test_eta_divergence_multiplies_the_cost_every_epoch():
    """Chapter 6's claim: a divergent run's last epochs each multiply the cost (by > 2), while
    η = 0.3 shrinks it every epoch; the run stops on a weight past the limit, cost still finite."""
    for eta in (0.6, 3.0):
        h = explorers.eta_run(eta)[1]
        cost = np.asarray(h.cost)
        assert h.diverged and np.isfinite(cost).all()
        assert (cost[-5:] / cost[-6:-1]).min() > 2
        assert "weights exploded" in h.message
    cost = np.asarray(explorers.eta_run(0.3)[1].cost[:16])
    assert (cost[1:] / cost[:-1]).max() < 1


def test_plot_top_inputs_shows_the_images_with_the_largest_z():
    rng = np.random.default_rng(5)
    W, b = rng.normal(size=(3, 6)), rng.normal(size=3)
    X = rng.random((9, 6))
    fig = plots.plot_top_inputs(W, b, X, [2, 0], k=4, image_shape=(2, 3))
    axes = np.array(fig.axes).reshape(2, 5)
    for row, j in zip(axes, [2, 0]):
        np.testing.assert_allclose(row[0].get_images()[0].get_array(), W[j].reshape(2, 3))
        expected = np.argsort(-(X @ W[j] + b[j]))[:4]
        for ax, i in zip(row[1:], expected):
            np.testing.assert_allclose(ax.get_images()[0].get_array(), X[i].reshape(2, 3))
    plt.close(fig)


def test_plot_top_inputs_rejects_bad_arguments():
    W, b, X = np.zeros((3, 4)), np.zeros(3), np.zeros((5, 4))
    with pytest.raises(ValueError, match="b must have shape"):
        plots.plot_top_inputs(W, np.zeros(2), X, [0], image_shape=(2, 2))
    with pytest.raises(ValueError, match="units"):
        plots.plot_top_inputs(W, b, X, [3], image_shape=(2, 2))
    with pytest.raises(ValueError, match="k must be"):
        plots.plot_top_inputs(W, b, X, [0], k=6, image_shape=(2, 2))
    with pytest.raises(ValueError, match="columns"):
        plots.plot_top_inputs(W, b, X, [0], image_shape=(3, 3))
    with pytest.raises(TypeError, match="k must be an integer"):
        plots.plot_top_inputs(W, b, X, [0], k=2.5, image_shape=(2, 2))
