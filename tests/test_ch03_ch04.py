"""Chapters 3–4: the δ exercises, the δ figures and the δ stepper.

Everything in float64 on small non-square shapes (m ≠ s_L ≠ s_{L-1}), seeded.
"""

from __future__ import annotations

import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import bp_lib
from bp_lib import activations, delta, losses
from bp_lib.exercises import check, get
from bp_lib.exercises.ch04 import BACKWARD_PASS_M, BACKWARD_PASS_SIZES
from bp_lib.plots import (count_work_backward, count_work_path_by_path, delta_sizes,
                          plot_delta_flow, plot_delta_sizes, plot_trace_heatmaps, plot_work_counts)
from bp_lib.widgets import delta_stepper, stepper_figure, stepper_grid
from bp_lib.widgets.stepper import describe_step, n_steps, stepper_png

CH34 = ("output_delta_mse", "output_delta_softmax_mse",
        "last_layer_gradients", "hidden_delta", "backward_pass")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _sigmoid_prime(Z):
    return activations.sigmoid(Z) * (1 - activations.sigmoid(Z))


# --------------------------------------------------------------- exercises
@pytest.mark.parametrize("exercise_id", CH34)
def test_reference_passes_check(exercise_id):
    ex = get(exercise_id)
    assert ex.chapter in (3, 4)
    assert 1 <= ex.points <= 3
    result = check(exercise_id, ex.reference)
    assert result.passed, result.message
    assert check(exercise_id, ex.reference, seed="fresh").passed


@pytest.mark.parametrize("exercise_id", CH34)
def test_inputs_are_non_square(exercise_id):
    args = get(exercise_id).make_inputs(np.random.default_rng(0))
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    for a in args:
        if isinstance(a, list):
            arrays += a
    for a in arrays:
        if a.ndim == 2:
            assert a.shape[0] != a.shape[1], a.shape


def _wrong_mistakes():
    for exercise_id in CH34:
        for mistake in get(exercise_id).mistakes:
            if mistake.wrong is not None:
                yield pytest.param(exercise_id, mistake, id=f"{exercise_id}-{mistake.name}")


@pytest.mark.parametrize("exercise_id, mistake", list(_wrong_mistakes()))
def test_every_mistake_is_recognised_by_name(exercise_id, mistake):
    result = check(exercise_id, mistake.wrong)
    assert not result.passed
    assert result.mistake == mistake.name, result.message


def _hidden_delta_W_not_transposed(delta_next, W_next, Z):
    return (delta_next @ W_next.T) * _sigmoid_prime(Z)


def _hidden_delta_column_form_untransposed(delta_next, W_next, Z):
    return (W_next @ delta_next.T).T * _sigmoid_prime(Z)


def _backward_pass_W_not_transposed(zs, activations_, Y, weights):
    L = len(weights)
    m = Y.shape[0]
    dW, db = [None] * L, [None] * L
    d = (activations_[-1] - Y) * _sigmoid_prime(zs[-1])
    for l in range(L - 1, -1, -1):
        dW[l], db[l] = d.T @ activations_[l] / m, d.mean(axis=0)
        if l > 0:
            d = (d @ weights[l].T) * _sigmoid_prime(zs[l - 1])
    return dW, db


def _backward_pass_fprime_from_wrong_entry(zs, activations_, Y, weights):
    L = len(weights)
    m = Y.shape[0]
    dW, db = [None] * L, [None] * L
    d = (activations_[-1] - Y) * _sigmoid_prime(zs[-1])
    for l in range(L - 1, -1, -1):
        dW[l], db[l] = d.T @ activations_[l] / m, d.mean(axis=0)
        if l > 0:
            d = (d @ weights[l]) * _sigmoid_prime(zs[l])      # zs[l] where zs[l - 1] belongs
    return dW, db


RAISING = {
    ("hidden_delta", "W_not_transposed"): [_hidden_delta_W_not_transposed,
                                           _hidden_delta_column_form_untransposed],
    ("backward_pass", "W_not_transposed"): [_backward_pass_W_not_transposed],
    ("backward_pass", "fprime_wrong_layer"): [_backward_pass_fprime_from_wrong_entry],
}


def test_every_raising_mistake_has_an_example():
    for exercise_id in CH34:
        for mistake in get(exercise_id).mistakes:
            if mistake.wrong is None:
                assert (exercise_id, mistake.name) in RAISING


@pytest.mark.parametrize("key", list(RAISING))
def test_raising_mistakes_are_recognised_by_name(key):
    exercise_id, name = key
    for fn in RAISING[key]:
        result = check(exercise_id, fn)
        assert not result.passed
        assert result.mistake == name, result.message


def test_required_mistake_names_are_registered():
    names = {m.name for e in CH34 for m in get(e).mistakes}
    for required in ("fprime_dropped", "fprime_of_a", "W_not_transposed", "wrong_layer_weights",
                     "one_over_m_missing", "one_over_m_doubled", "softmax_elementwise",
                     "outer_product_order"):
        assert required in names


def test_generic_sign_flip_and_transpose_still_reported():
    flipped = check("hidden_delta", lambda d, W, Z: -delta.hidden_delta(d, W, Z, "tanh"))
    assert flipped.mistake == "sign_flipped"
    transposed = check("output_delta_mse", lambda Z, A, Y: ((A - Y) * _sigmoid_prime(Z)).T)
    assert not transposed.passed and "transposed" in transposed.message


def test_stub_is_reported_as_not_implemented():
    def stub(*args):
        raise NotImplementedError()
    for exercise_id in CH34:
        result = check(exercise_id, stub)
        assert not result.passed and "not implemented" in result.message


# --------------------------------------------------------------- formulas vs bp_lib and FD
def _fd_wrt(f, x, eps=1e-6):
    return bp_lib.numerical_gradient(f, x, eps)


def test_output_delta_mse_matches_finite_differences():
    rng = np.random.default_rng(1)
    Z, Y = rng.normal(size=(5, 3)), rng.random((5, 3))
    by_hand = (activations.sigmoid(Z) - Y) * _sigmoid_prime(Z)
    numeric = _fd_wrt(lambda: losses.mse(activations.sigmoid(Z), Y).sum(), Z)
    np.testing.assert_allclose(by_hand, numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(by_hand, delta.output_delta_mse(Z, activations.sigmoid(Z), Y))


def test_output_delta_sigmoid_ce_matches_finite_differences():
    rng = np.random.default_rng(2)
    Z, Y = rng.normal(size=(5, 3)), (rng.random((5, 3)) < 0.5).astype(float)
    numeric = _fd_wrt(lambda: losses.sigmoid_cross_entropy_from_logits(Z, Y).sum(), Z)
    np.testing.assert_allclose(activations.sigmoid(Z) - Y, numeric, rtol=1e-6, atol=1e-9)


def test_softmax_jacobian_route_and_elementwise_pitfall():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(4, 3))
    Y = bp_lib.one_hot(np.array([0, 2, 1, 2]), 3)
    A = activations.softmax(Z)
    numeric = _fd_wrt(lambda: losses.softmax_cross_entropy_from_logits(Z, Y).sum(), Z)
    through_jacobian = np.stack([activations.softmax_jacobian(a).T @ (-y / a)
                                 for a, y in zip(A, Y)])
    np.testing.assert_allclose(through_jacobian, numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(delta.output_delta_softmax_cross_entropy(A, Y), numeric,
                               rtol=1e-6, atol=1e-9)
    elementwise = (-Y / A) * A * (1 - A)                      # document 001 (9.26)-(9.27)
    true = Y.astype(bool)
    np.testing.assert_allclose(elementwise[true], numeric[true], rtol=1e-6)
    assert np.all(np.abs(elementwise[~true] - numeric[~true]) > 1e-3)


def test_last_layer_gradients_match_network_and_finite_differences():
    rng = np.random.default_rng(4)
    net = bp_lib.Network([3, 4, 2], hidden="tanh", output="sigmoid", loss="mse", seed=4)
    X, Y = rng.normal(size=(6, 3)), rng.random((6, 2))
    trace = net.backprop(X, Y)
    dW, db = get("last_layer_gradients").reference(trace.deltas[-1], trace.activations[-2])
    numeric_W = _fd_wrt(lambda: net.cost(X, Y), net.weights[-1])
    numeric_b = _fd_wrt(lambda: net.cost(X, Y), net.biases[-1])
    np.testing.assert_allclose(dW, numeric_W, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(db, numeric_b, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dW, trace.dW[-1])


def test_hidden_delta_matches_finite_differences_through_the_next_layer():
    # ℓ as a function of Z⁽ˡ⁾ only: Z⁽ˡ⁺¹⁾ = σ(Z⁽ˡ⁾) W⁽ˡ⁺¹⁾ᵀ + b, then a given linear readout
    rng = np.random.default_rng(5)
    m, s_l, s_next = 5, 4, 2
    Z = rng.normal(size=(m, s_l))
    W_next, b_next = rng.normal(size=(s_next, s_l)), rng.normal(size=s_next)
    G = rng.normal(size=(m, s_next))                  # ∂ℓ/∂Z⁽ˡ⁺¹⁾, i.e. Δ⁽ˡ⁺¹⁾

    def loss():
        return float(np.sum(G * (activations.sigmoid(Z) @ W_next.T + b_next)))

    by_hand = (G @ W_next) * _sigmoid_prime(Z)
    np.testing.assert_allclose(by_hand, _fd_wrt(loss, Z), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(by_hand, delta.hidden_delta(G, W_next, Z))


def test_backward_pass_reference_is_networks_backprop_and_passes_gradient_check():
    rng = np.random.default_rng(6)
    net = bp_lib.Network(list(BACKWARD_PASS_SIZES), "sigmoid", "sigmoid", "mse", seed=6)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = rng.normal(size=(BACKWARD_PASS_M, BACKWARD_PASS_SIZES[0]))
    Y = rng.random((BACKWARD_PASS_M, BACKWARD_PASS_SIZES[-1]))
    trace = net.backprop(X, Y)
    dW, db = get("backward_pass").reference(trace.zs, trace.activations, Y, net.weights)
    for l in range(net.n_layers):
        np.testing.assert_allclose(dW[l], trace.dW[l])
        np.testing.assert_allclose(db[l], trace.db[l])
    report = bp_lib.gradient_check(net, X, Y, gradients=(dW, db))
    assert report.ok, report


def test_four_layer_backward_pass_every_parameter():
    rng = np.random.default_rng(7)
    net = bp_lib.Network([3, 5, 4, 6, 2], hidden="tanh", output="softmax",
                         loss="softmax_cross_entropy", seed=7)
    X = rng.normal(size=(7, 3))
    Y = bp_lib.one_hot(rng.integers(0, 2, size=7), 2)
    report = bp_lib.gradient_check(net, X, Y)
    assert report.ok and len(report.parameters) == 8, report


# --------------------------------------------------------------- work counts
def test_work_counts_by_hand():
    # [2, 2, 1]: layer 1 has 4 weights, 1 path each of 1 edge: 4·(1·3 + 2) = 20;
    # layer 2 has 2 weights, no edge after: 2·(1·1 + 2) = 6.
    assert count_work_path_by_path([2, 2, 1]) == 26
    # output δ 1, hidden δ 2·1 + 2, gradients 2·2 + 1·2
    assert count_work_backward([2, 2, 1]) == 11


def test_path_sum_equals_backprop():
    """The path-by-path sum the count describes gives the same derivative as backprop."""
    rng = np.random.default_rng(8)
    sizes = [2, 3, 4, 2]
    net = bp_lib.Network(sizes, "sigmoid", "sigmoid", "mse", seed=8)
    x, y = rng.normal(size=(1, 2)), rng.random((1, 2))
    tr = net.backprop(x, y)
    fp = [_sigmoid_prime(Z)[0] for Z in tr.zs]
    dl_da = tr.activations[-1][0] - y[0]
    j, k = 1, 0                                   # the weight W⁽¹⁾_jk
    total = 0.0
    for path in itertools.product(range(sizes[2]), range(sizes[3])):
        units = (j,) + path
        term = dl_da[units[-1]]
        for l in (1, 2):                           # edges into layers 2 and 3
            term *= net.weights[l][units[l], units[l - 1]] * fp[l][units[l]]
        total += term
    by_paths = total * fp[0][j] * tr.activations[0][0, k]
    np.testing.assert_allclose(by_paths, tr.dW[0][j, k], rtol=1e-10)


def test_path_by_path_grows_exponentially_backward_linearly():
    path = [count_work_path_by_path([4] * (d + 1)) for d in range(1, 9)]
    back = [count_work_backward([4] * (d + 1)) for d in range(1, 9)]
    assert path[-1] / path[-2] > 3.5
    assert np.allclose(np.diff(back[2:]), np.diff(back[2:])[0])


def test_work_counts_reject_bad_sizes():
    with pytest.raises(ValueError):
        count_work_backward([3])
    with pytest.raises(ValueError):
        count_work_path_by_path([3, 0, 2])


# --------------------------------------------------------------- figures
def test_plot_delta_flow_draws_every_unit():
    rng = np.random.default_rng(9)
    net = bp_lib.Network([3, 5, 4, 2], seed=9)
    ax = plot_delta_flow(net, rng.normal(size=(6, 3)), rng.random((6, 2)), example=2)
    assert isinstance(ax, matplotlib.axes.Axes)
    circles = [p for p in ax.patches if isinstance(p, matplotlib.patches.Circle)]
    assert len(circles) == sum(net.sizes)
    with pytest.raises(ValueError):
        plot_delta_flow(net, rng.normal(size=(6, 3)), rng.random((6, 2)), example=6)


def test_plot_trace_heatmaps_draws_every_block():
    rng = np.random.default_rng(10)
    net = bp_lib.Network([3, 5, 2], seed=10)
    X, Y = rng.normal(size=(4, 3)), rng.random((4, 2))
    ax = plot_trace_heatmaps(net.backprop(X, Y), Y)
    assert len(ax.images) == 1 + 3 * 2 + 1          # X; z, a, δ of 2 layers; Y
    shapes = sorted(im.get_array().shape for im in ax.images)
    assert (4, 5) in shapes and (4, 3) in shapes


def test_plot_work_counts_two_panels_two_lines():
    fig = plot_work_counts(max_depth=6, max_width=5)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"


def test_delta_sizes_vanish_for_sigmoid_not_relu():
    ax = plot_delta_sizes(depth=8, width=12)
    lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
    sig, relu = lines["hidden: sigmoid"], lines["hidden: relu"]
    assert len(sig) == 9
    assert sig[0] / sig[-1] < 1e-4                   # shrinks by orders of magnitude
    assert relu[0] / relu[-1] > 1e-2


def test_delta_sizes_one_per_layer():
    rng = np.random.default_rng(11)
    net = bp_lib.Network([3, 4, 4, 1], seed=11)
    sizes = delta_sizes(net, rng.normal(size=(5, 3)), rng.random((5, 1)))
    assert len(sizes) == 3 and all(s > 0 for s in sizes)


# --------------------------------------------------------------- the δ stepper
NETS = [
    (bp_lib.Network([3, 5, 4, 2], "sigmoid", "sigmoid", "mse", seed=1), "regression"),
    (bp_lib.Network([2, 4, 3], "tanh", "softmax", "softmax_cross_entropy", seed=2), "classes"),
    (bp_lib.Network([2, 3], "relu", "sigmoid", "cross_entropy", seed=3), "one layer"),
]


def _batch(net, m=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, net.sizes[0]))
    if net.loss == "softmax_cross_entropy":
        Y = bp_lib.one_hot(rng.integers(0, net.sizes[-1], size=m), net.sizes[-1])
    else:
        Y = (rng.random((m, net.sizes[-1])) < 0.5).astype(float)
    return X, Y


@pytest.mark.parametrize("net, name", NETS, ids=[n for _, n in NETS])
def test_stepper_figure_every_step(net, name):
    X, Y = _batch(net)
    trace = net.backprop(X, Y)
    previous = 0
    for step in range(n_steps(net)):
        fig = stepper_figure(net, X, Y, step, trace=trace if step % 2 else None)
        assert isinstance(fig, matplotlib.figure.Figure)
        ax = fig.axes[0]
        # images drawn so far: X, then z and a per layer forward, then δ per layer backward
        assert len(ax.images) >= previous
        previous = len(ax.images)
        texts = " ".join(t.get_text() for t in fig.texts)
        assert f"step {step} of {2 * net.n_layers}" in texts
        plt.close(fig)
    L = net.n_layers
    assert previous == 1 + 3 * L + 1            # everything at the last step, Y included


def test_stepper_png_and_grid():
    net = NETS[0][0]
    X, Y = _batch(net)
    for step in (0, n_steps(net) - 1):
        png = stepper_png(net, X, Y, step)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert not plt.get_fignums()
    fig = stepper_grid(net, X, Y)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert len(titles) == 4 and all(t.startswith("step ") for t in titles)
    assert len(stepper_grid(net, X, Y, steps=[0, 1, 2], columns=2).axes) == 4   # one blank
    with pytest.raises(ValueError):
        stepper_grid(net, X, Y, steps=[])


def test_stepper_equations():
    net = NETS[0][0]
    L = net.n_layers
    assert describe_step(net, 0)[0] == "input"
    assert describe_step(net, 1)[:2] == ("forward", 1)
    assert describe_step(net, L + 1)[:2] == ("output δ", L)
    assert "\\sigma'" in describe_step(net, L + 1)[2]
    assert describe_step(net, 2 * L)[:2] == ("backward", 1)
    assert "W^{(2)}" in describe_step(net, 2 * L)[2]
    ce = NETS[1][0]
    assert "A^{(2)} - Y" in describe_step(ce, ce.n_layers + 1)[2]


@pytest.mark.parametrize("step", [-1, 7, 2.5])
def test_stepper_rejects_bad_steps(step):
    net = NETS[0][0]
    X, Y = _batch(net)
    with pytest.raises((ValueError, TypeError)):
        stepper_figure(net, X, Y, step)


def test_delta_stepper_widget():
    import ipywidgets as widgets

    net = NETS[0][0]
    X, Y = _batch(net)
    box = delta_stepper(net, X, Y)
    assert isinstance(box, widgets.VBox)
    controls = box.children[0].children
    slider = next(c for c in controls if isinstance(c, widgets.IntSlider))
    assert slider.continuous_update is False
    assert "stepper-slider" in slider._dom_classes
    assert (slider.min, slider.max) == (0, n_steps(net) - 1)
    buttons = [c for c in controls if isinstance(c, widgets.Button)]
    buttons[1].click()                             # next
    assert slider.value == 1
    buttons[0].click()
    buttons[0].click()                             # prev stops at 0
    assert slider.value == 0
    slider.value = slider.max
    assert not plt.get_fignums()                   # every drawn figure was closed


def test_delta_sizes_compare_layers_of_different_width_fairly():
    """δ's size per layer is the whole vector's, not a per-unit average: going back from the
    one-unit output into 16 tanh units must not look like a ×0.25 drop (it did, as RMS per unit)."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(64, 8)), (rng.random((64, 1)) < 0.5).astype(float)
    sizes = {h: delta_sizes(bp_lib.Network([8] + [16] * 10 + [1], hidden=h, output="sigmoid",
                                           loss="mse", seed=0), X, Y)
             for h in ("sigmoid", "tanh", "relu")}
    for h, s in sizes.items():
        steps = np.array(s[:-1]) / np.array(s[1:])
        mean = np.exp(np.mean(np.log(steps)))
        if h == "sigmoid":
            assert 0.15 < mean < 0.3 and s[0] / s[-1] < 1e-5      # σ' ≤ 1/4 at every step
        else:
            assert 0.75 < mean < 1.0 and steps.min() > 0.5        # no artefact at the output step
