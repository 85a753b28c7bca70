"""Chapter 4's new pieces: the gradient-cost formulas (checked against instrumented
implementations), the linear layer's three backward outputs, the new exercises and figures."""

import itertools

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import bp_lib  # noqa: E402
from bp_lib import Network, activations, numerical_gradient  # noqa: E402
from bp_lib.exercises import check  # noqa: E402
from bp_lib.exercises.ch04 import buggy_backward  # noqa: E402
from bp_lib.exercises.core import get  # noqa: E402
from bp_lib.plots import (gradient_cost, plot_backward_steps, plot_delta_recursion,  # noqa: E402
                          plot_gradient_costs)

fp = activations.sigmoid_derivative


# --------------------------------------------------------------- instrumented methods
class Counter:
    def __init__(self):
        self.n = 0

    def mul(self, u, v):
        self.n += np.broadcast(u, v).size
        return np.multiply(u, v)

    def mv(self, M, v):
        self.n += M.size
        return M @ v


def _forward(c, net, x):
    zs, acts = [], [x]
    for W, b in zip(net.weights, net.biases):
        zs.append(c.mv(W, acts[-1]) + b)
        acts.append(activations.sigmoid(zs[-1]))
    return zs, acts


def _backward(c, net, x, y):
    zs, acts = _forward(c, net, x)
    L = net.n_layers
    d = c.mul(acts[-1] - y, fp(zs[-1]))
    dW, db = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dW[l - 1], db[l - 1] = c.mul(d[:, None], acts[l - 1][None, :]), d
        if l > 1:
            d = c.mul(c.mv(net.weights[l - 1].T, d), fp(zs[l - 2]))
    return dW, db


def _finite_differences(c, net, x, y):
    def loss():
        r = _forward(c, net, x)[1][-1] - y
        return c.mul(r, r).sum() / 2
    g = [numerical_gradient(loss, p) for p in net.weights + net.biases]
    return g[:net.n_layers], g[net.n_layers:]


def _tangent_setup(c, net, x, y):
    """Forward pass, g = (a − y) ⊙ f'(z⁽ᴸ⁾) once, and zeroed gradient lists."""
    zs, acts = _forward(c, net, x)
    g = c.mul(acts[-1] - y, fp(zs[-1]))
    return zs, acts, g, [np.zeros_like(W) for W in net.weights], [np.zeros_like(b) for b in net.biases]


def _push(c, net, zs, k, zd):
    """A tangent ż⁽ᵏ⁾ pushed through layers k+1 … L: ż ← W (f' ⊙ ż)."""
    for l in range(k + 1, net.n_layers + 1):
        zd = c.mv(net.weights[l - 1], c.mul(fp(zs[l - 2]), zd))
    return zd


def _forward_mode(c, net, x, y):
    zs, acts, g, dW, db = _tangent_setup(c, net, x, y)
    s = net.sizes
    for k in range(1, net.n_layers + 1):
        for j in range(s[k]):
            for col in range(s[k - 1] + 1):
                zd = np.zeros(s[k])
                zd[j] = acts[k - 1][col] if col < s[k - 1] else 1.0
                val = c.mul(g, _push(c, net, zs, k, zd)).sum()
                if col < s[k - 1]:
                    dW[k - 1][j, col] = val
                else:
                    db[k - 1][j] = val
    return dW, db


def _forward_mode_units(c, net, x, y):
    zs, acts, g, dW, db = _tangent_setup(c, net, x, y)
    s = net.sizes
    for k in range(1, net.n_layers + 1):
        for j in range(s[k]):
            zd = np.zeros(s[k])
            zd[j] = 1.0
            db[k - 1][j] = c.mul(g, _push(c, net, zs, k, zd)).sum()
            dW[k - 1][j] = c.mul(db[k - 1][j], acts[k - 1])
    return dW, db


def _paths(c, net, x, y):
    zs, acts = _forward(c, net, x)
    L, s = net.n_layers, net.sizes
    fps, r = [fp(z) for z in zs], acts[-1] - y

    def path_sum(l, j):
        total = 0.0
        for rest in itertools.product(*[range(s[t]) for t in range(l + 1, L + 1)]):
            units, term = (j,) + rest, r[rest[-1] if rest else j]
            for t in range(l + 1, L + 1):
                term = c.mul(c.mul(term, net.weights[t - 1][units[t - l], units[t - l - 1]]),
                             fps[t - 1][units[t - l]])
            total += term
        return total

    dW, db = [np.zeros_like(W) for W in net.weights], [np.zeros_like(b) for b in net.biases]
    for l in range(1, L + 1):
        for j in range(s[l]):
            db[l - 1][j] = c.mul(path_sum(l, j), fps[l - 1][j])
            for k in range(s[l - 1]):
                dW[l - 1][j, k] = c.mul(c.mul(path_sum(l, j), fps[l - 1][j]), acts[l - 1][k])
    return dW, db


METHODS = {"backward": _backward, "finite_differences": _finite_differences,
           "forward_mode": _forward_mode, "forward_mode_units": _forward_mode_units, "paths": _paths}


@pytest.mark.parametrize("sizes", [[2, 3, 1], [3, 5, 4, 2], [4, 2, 5, 3, 2], [1, 6]])
@pytest.mark.parametrize("method", list(METHODS))
def test_gradient_cost_formula_equals_counted_multiplications(sizes, method):
    rng = np.random.default_rng(sum(sizes))
    net = Network(sizes, hidden="sigmoid", output="sigmoid", loss="mse", seed=len(sizes))
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    x, y = rng.normal(size=sizes[0]), rng.random(sizes[-1])
    c = Counter()
    dW, db = METHODS[method](c, net, x, y)
    assert c.n == gradient_cost(sizes, method)
    # and the method really computes the gradient (so the count is of real work)
    trace = net.backprop(x[None, :], y[None, :])
    for l in range(net.n_layers):
        assert bp_lib.array_relative_error(dW[l], trace.dW[l]) < 1e-6
        assert bp_lib.array_relative_error(db[l], trace.db[l]) < 1e-6


def test_gradient_cost_forward_and_by_hand():
    # [2, 3, 1]: F = 6 + 3 = 9; backward = F + s_L + (6 + 3) + (3 + 3) = 9 + 1 + 9 + 6 = 25
    assert gradient_cost([2, 3, 1], "forward") == 9
    assert gradient_cost([2, 3, 1], "backward") == 25
    # P = 9 + 4 = 13 parameters; finite differences: 2 · 13 · (9 + 1) = 260
    assert gradient_cost([2, 3, 1], "finite_differences") == 260


def test_gradient_cost_ratios_grow_with_parameters_and_paths_with_depth():
    small, large = [10, 10, 10], [40, 40, 40]
    for method in ("finite_differences", "forward_mode"):
        r_small = gradient_cost(small, method) / gradient_cost(small, "backward")
        r_large = gradient_cost(large, method) / gradient_cost(large, "backward")
        assert r_large > 4 * r_small
    # a sweep per unit: the gap grows with the number of units (×4 here), not with P (×16)
    r_small, r_large = (gradient_cost(n, "forward_mode_units") / gradient_cost(n, "backward")
                        for n in (small, large))
    assert 2.5 * r_small < r_large < 6 * r_small
    paths = [gradient_cost([4] * (d + 1), "paths") for d in range(1, 9)]
    assert all(b > 3 * a for a, b in zip(paths[2:], paths[3:]))


def test_gradient_cost_rejects_bad_input():
    with pytest.raises(ValueError, match="method"):
        gradient_cost([3, 2], "reverse")
    with pytest.raises(ValueError, match="sizes"):
        gradient_cost([3], "backward")


# --------------------------------------------------------------- the linear layer box
def test_linear_layer_backward_three_outputs_non_square():
    rng = np.random.default_rng(11)
    W, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    a, y = rng.normal(size=5), rng.random(3)

    def loss():
        return 0.5 * np.sum((np.tanh(W @ a + b) - y) ** 2)

    z = W @ a + b
    d = (np.tanh(z) - y) * (1 - np.tanh(z) ** 2)
    assert bp_lib.array_relative_error(np.outer(d, a), numerical_gradient(loss, W)) < 1e-7
    assert bp_lib.array_relative_error(d, numerical_gradient(loss, b)) < 1e-7
    assert bp_lib.array_relative_error(W.T @ d, numerical_gradient(loss, a)) < 1e-7


# --------------------------------------------------------------- exercises
def test_hidden_delta_reference_matches_finite_differences_for_tanh():
    ex = get("hidden_delta")
    rng = np.random.default_rng(3)
    for trial in range(3):
        D, W, Z = ex.make_inputs(rng, trial)
        assert len({D.shape[0], W.shape[0], W.shape[1]}) == 3           # non-square, m distinct
        G = D                                                           # ∂ℓ/∂Z⁽ˡ⁺¹⁾

        def loss():
            return float(np.sum(G * (np.tanh(Z) @ W.T)))

        assert bp_lib.array_relative_error(ex.reference(D, W, Z), numerical_gradient(loss, Z)) < 1e-7


def test_backward_pass_trials_vary_depth_and_widths():
    ex = get("backward_pass")
    cases = ex.cases(np.random.default_rng(0))
    depths = {len(c[3]) for c in cases}
    assert len(depths) >= 2
    for zs, acts, Y, Ws in cases:
        assert all(W.shape[0] != W.shape[1] for W in Ws)
        assert Y.shape[0] not in {A.shape[1] for A in acts}


def test_backward_pass_fprime_from_wrong_entry_gets_its_own_hint():
    def wrong(zs, acts, Y, Ws):
        L, m = len(Ws), Y.shape[0]
        dW, db = [None] * L, [None] * L
        d = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        for l in range(L - 1, -1, -1):
            dW[l], db[l] = d.T @ acts[l] / m, d.mean(axis=0)
            if l > 0:
                A = acts[l - 1]                           # A⁽ˡ⁻¹⁾ where A⁽ˡ⁾ belongs
                d = (d @ Ws[l]) * A * (1 - A)
        return dW, db

    result = check("backward_pass", wrong)
    assert not result and result.mistake == "fprime_wrong_layer", result.message
    assert "wrong entry" in result.message


def test_skip_delta_reference_matches_finite_differences():
    ex = get("skip_delta")
    rng = np.random.default_rng(8)
    D1, D2, W, V, Z = ex.make_inputs(rng, 0)
    assert W.shape[1] == V.shape[1] == Z.shape[1] and W.shape[0] != V.shape[0]

    def loss():   # ℓ as a function of Z⁽ˡ⁾: linear in z⁽ˡ⁺¹⁾ (grad D1) and in the skip part of z⁽ˡ⁺²⁾ (grad D2)
        A = activations.sigmoid(Z)
        return float(np.sum(D1 * (A @ W.T)) + np.sum(D2 * (A @ V.T)))

    assert bp_lib.array_relative_error(ex.reference(D1, D2, W, V, Z), numerical_gradient(loss, Z)) < 1e-7


def test_skip_delta_transposed_V_is_named():
    def wrong(d1, d2, W, V, Z):
        return (d1 @ W + d2 @ V.T) * activations.sigmoid_derivative(Z)

    result = check("skip_delta", wrong)
    assert not result and result.mistake in ("W_not_transposed", "shape_mismatch_in_product"), \
        result.message


def test_buggy_backward_fails_gradient_check_and_reference_passes():
    rng = np.random.default_rng(9)
    net = Network([4, 6, 5, 3], hidden="tanh", output="softmax", loss="softmax_cross_entropy", seed=9)
    X = rng.normal(size=(7, 4))
    Y = bp_lib.one_hot(rng.integers(0, 3, size=7), 3)
    tr = net.forward_trace(X)
    args = (tr.zs, tr.activations, Y, net.weights)
    bad = bp_lib.gradient_check(net, X, Y, gradients=buggy_backward(*args))
    wrong = {p.name for p in bad.parameters if p.relative_error > bp_lib.gradcheck.TOLERANCE}
    assert wrong == {"W1", "b1", "W2", "b2", "b3"}        # W3 depends on neither bug
    good = bp_lib.gradient_check(net, X, Y, gradients=get("backward_fixed").reference(*args))
    assert good.ok, good


@pytest.mark.parametrize("name", ["both_bugs_left", "tanh_prime_bug_left", "db_bug_left"])
def test_backward_fixed_names_the_bug_left(name):
    mistake = next(m for m in get("backward_fixed").mistakes if m.name == name)
    result = check("backward_fixed", mistake.wrong)
    assert not result and result.mistake == name


# --------------------------------------------------------------- figures
def _net_and_batch():
    rng = np.random.default_rng(4)
    net = Network([3, 5, 4, 2], hidden="sigmoid", output="sigmoid", loss="mse", seed=0)
    return net, rng.normal(size=(4, 3)), rng.random((4, 2))


def test_plot_delta_recursion_one_colour_bar_and_checks_unit():
    net, X, Y = _net_and_batch()
    ax = plot_delta_recursion(net, X, Y, example=1, unit=(1, 2))
    assert len(ax.figure.axes) == 2                        # the network and ONE colour bar
    assert len(ax.patches) >= sum(net.sizes)
    with pytest.raises(ValueError, match="unit"):
        plot_delta_recursion(net, X, Y, unit=(3, 0))       # the output layer has no recursion
    with pytest.raises(TypeError, match="unit"):
        plot_delta_recursion(net, X, Y, unit=2)
    plt.close("all")


def test_plot_backward_steps_rows_and_colour_bars():
    net, X, Y = _net_and_batch()
    fig = plot_backward_steps(net, X, Y)
    assert len(fig.axes) == 2 + 4                          # two steps, four colour bars
    fig = plot_backward_steps(net, X, Y, layers=[1])
    assert len(fig.axes) == 1 + 4
    with pytest.raises(ValueError):
        plot_backward_steps(net, X, Y, layers=[3])
    with pytest.raises(ValueError):
        plot_backward_steps(net, X, Y, layers=[])
    plt.close("all")


def test_plot_gradient_costs_five_methods_and_forward_pass():
    fig = plot_gradient_costs(width=6, max_depth=4, max_width=8)
    assert [len(ax.lines) for ax in fig.axes] == [6, 6]
    drawn = {line.get_label(): list(line.get_ydata()) for line in fig.axes[0].lines}
    assert drawn["one forward-mode sweep per unit"] == [gradient_cost([6] * (d + 1), "forward_mode_units")
                                                        for d in range(1, 5)]
    plt.close("all")


@pytest.mark.parametrize("unset", [None, "zeros"])
def test_backward_pass_names_a_loop_that_stops_a_layer_early(unset):
    """000's bound l = n_l − 1, …, 2 read literally: the first layer's gradients never computed."""
    def early(zs, acts, Y, weights):
        L, m = len(weights), Y.shape[0]
        dW = [None] * L if unset is None else [np.zeros_like(W) for W in weights]
        db = [None] * L if unset is None else [np.zeros(W.shape[0]) for W in weights]
        D = (acts[-1] - Y) * acts[-1] * (1 - acts[-1])
        for l in range(L - 1, 0, -1):
            dW[l], db[l] = D.T @ acts[l] / m, D.mean(axis=0)
            D = (D @ weights[l]) * acts[l] * (1 - acts[l])
        return dW, db
    result = check("backward_pass", early)
    assert not result.passed and result.mistake.startswith("stops_a_layer_early")
    assert "range(L - 1, -1, -1)" in result.message
