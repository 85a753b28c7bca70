"""Tests for chapters 1–2's additions to bp_lib: notation conversions, figures, exercises."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bp_lib  # noqa: E402
from bp_lib import Network, activations, losses, notation, plots  # noqa: E402
from bp_lib.exercises import check, get  # noqa: E402

CH12 = ("layer_forward", "forward_pass", "collapse_linear", "silu_derivative", "mse_cost",
        "binary_cross_entropy_cost", "softmax_cross_entropy_from_logits")


@pytest.fixture
def rng():
    return np.random.default_rng(20260)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------- notation
def test_theta_puts_bias_in_column_0_and_round_trips(rng):
    W, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    Theta = notation.theta_from_wb(W, b)
    assert Theta.shape == (3, 1 + 5)
    np.testing.assert_array_equal(Theta[:, 0], b)
    np.testing.assert_array_equal(Theta[:, 1:], W)
    W2, b2 = notation.wb_from_theta(Theta)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b)
    Theta[0, 0] = 99.0                       # results are copies, not views
    assert b2[0] == b[0]


def test_theta_form_gives_the_same_network_output(rng):
    net = Network([3, 5, 2], hidden="tanh", output="sigmoid", seed=3)
    net.biases = [rng.normal(size=n) for n in (5, 2)]
    X = rng.normal(size=(6, 3))
    thetas = [notation.theta_from_wb(W, b) for W, b in zip(net.weights, net.biases)]
    A = X
    for l, Theta in enumerate(thetas):
        Z = notation.add_bias_unit(A) @ Theta.T
        A = activations.tanh(Z) if l == 0 else activations.sigmoid(Z)
    np.testing.assert_allclose(A, net.forward(X), rtol=1e-13, atol=1e-15)
    other = net.copy()
    pairs = [notation.wb_from_theta(T) for T in thetas]
    other.weights = [W for W, _ in pairs]
    other.biases = [b for _, b in pairs]
    np.testing.assert_allclose(other.forward(X), net.forward(X), rtol=0, atol=0)


def test_row_and_column_conventions_give_the_same_numbers(rng):
    W = rng.normal(size=(4, 3))              # course: (s_l, s_{l-1})
    W_xw = notation.xw_from_wx(W)
    assert W_xw.shape == (3, 4)
    np.testing.assert_array_equal(notation.wx_from_xw(W_xw), W)
    X = rng.normal(size=(5, 3))
    column_form = np.stack([W @ x for x in X])          # W x, one example at a time
    np.testing.assert_allclose(X @ W_xw, column_form, rtol=1e-13)
    np.testing.assert_allclose(X @ W.T, column_form, rtol=1e-13)


def test_add_bias_unit(rng):
    A = rng.normal(size=(5, 2))
    out = notation.add_bias_unit(A)
    assert out.shape == (5, 3)
    np.testing.assert_array_equal(out[:, 0], np.ones(5))
    np.testing.assert_array_equal(out[:, 1:], A)


@pytest.mark.parametrize("call, error, words", [
    (lambda: notation.theta_from_wb(np.ones((3, 2)), np.ones(4)), ValueError, ["b", "(3,)", "(4,)"]),
    (lambda: notation.theta_from_wb(np.ones((3, 2)), np.ones((3, 1))), ValueError,
     ["b", "1-D", "(3, 1)"]),
    (lambda: notation.theta_from_wb(np.ones(3), np.ones(3)), ValueError, ["W", "2-D", "(3,)"]),
    (lambda: notation.theta_from_wb(np.ones((3, 2)), "bias"), TypeError, ["b", "str"]),
    (lambda: notation.wb_from_theta(np.ones((3, 1))), ValueError, ["Theta", "2 columns", "(3, 1)"]),
    (lambda: notation.wb_from_theta(None), TypeError, ["Theta", "NoneType"]),
    (lambda: notation.xw_from_wx(np.ones((2, 3, 4))), ValueError, ["W", "2-D", "(2, 3, 4)"]),
    (lambda: notation.wx_from_xw([[1.0, np.nan]]), ValueError, ["W_xw", "finite"]),
])
def test_bad_input_names_argument_expected_and_actual(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


# ---------------------------------------------------------------- plots
def test_plot_activation_draws_f_and_derivative():
    z = np.linspace(-3, 3, 31)
    ax = plots.plot_activation("sigmoid", z=z)
    lines = ax.get_lines()
    labels = [ln.get_label() for ln in lines]
    assert "$f(z)$" in labels and "$f'(z)$" in labels
    f_line = lines[labels.index("$f(z)$")]
    d_line = lines[labels.index("$f'(z)$")]
    np.testing.assert_allclose(f_line.get_ydata(), activations.sigmoid(z))
    np.testing.assert_allclose(d_line.get_ydata(), activations.sigmoid_derivative(z))
    peak = [ln for ln in lines if ln.get_label().startswith("max")]
    assert len(peak) == 1 and np.allclose(peak[0].get_ydata(), 0.25), "σ′'s peak ¼ is marked"
    assert "max $f'$ = 1" in [ln.get_label() for ln in plots.plot_activation("tanh").get_lines()]


def test_chapter1_centred_differences_beat_one_sided_as_the_chapter_says():
    """Chapter 1's ε table: centred best near ε = 1e-5 (≈ 1e-12), one-sided never below 1e-9."""
    z0 = 0.7
    s = activations.sigmoid
    exact = s(z0) * (1 - s(z0))
    eps = np.array([1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11])
    centred = np.abs((s(z0 + eps) - s(z0 - eps)) / (2 * eps) - exact)
    one_sided = np.abs((s(z0 + eps) - s(z0)) / eps - exact)
    assert eps[np.argmin(centred)] == 1e-5 and centred.min() < 1e-11
    assert 1e-10 < one_sided.min() and centred[2] * 100 < one_sided[2]


def test_plot_activations_one_axes_per_name_and_softmax_refused():
    axes = plots.plot_activations(("tanh", "relu"))
    assert [ax.get_title() for ax in axes] == ["tanh", "relu"]
    with pytest.raises(ValueError, match="plot_softmax"):
        plots.plot_activation("softmax")
    with pytest.raises(ValueError, match="name"):
        plots.plot_activation("swish")


def test_plot_softmax_outputs_sum_to_one():
    ax = plots.plot_softmax(others=(0.0, 1.0, -1.0))
    curves = [ln.get_ydata() for ln in ax.get_lines() if ln.get_label().startswith("$a_")]
    assert len(curves) == 4
    np.testing.assert_allclose(np.sum(curves, axis=0), 1.0)


def test_loss_and_slope_plots_show_the_two_losses():
    z = np.linspace(-8, 8, 17)
    ax = plots.plot_losses_vs_logit(1.0, z=z)
    mse, ce = [ln.get_ydata() for ln in ax.get_lines() if ln.get_label() != "_nolegend_"][:2]
    a = activations.sigmoid(z)
    np.testing.assert_allclose(mse, 0.5 * (a - 1) ** 2)
    np.testing.assert_allclose(ce, -np.log(a))
    ax = plots.plot_loss_slopes_vs_logit(1.0, z=z)
    s_mse, s_ce = [ln.get_ydata() for ln in ax.get_lines()][:2]
    np.testing.assert_allclose(s_mse, (a - 1) * a * (1 - a))
    np.testing.assert_allclose(s_ce, a - 1)
    assert abs(s_mse[0]) < 1e-3 < abs(s_ce[0])       # saturated and wrong: MSE's slope vanishes


def test_cost_grid_contours_and_surface():
    w1, w2 = np.linspace(-1, 2, 7), np.linspace(0, 1, 5)
    J = plots.cost_on_grid(lambda a, b: (a - 1) ** 2 + 3 * b, w1, w2)
    assert J.shape == (5, 7)
    assert J[0, 4] == pytest.approx(0.0)
    ax = plots.plot_cost_contours(w1, w2, J, mark=(0.0, 0.5))
    assert ax.collections, "contours drawn"
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"][0]
    assert star.get_xdata()[0] == pytest.approx(1.0) and star.get_ydata()[0] == pytest.approx(0.0)
    ax3 = plots.plot_cost_surface(w1, w2, J)
    assert ax3.name == "3d" and ax3.collections
    with pytest.raises(ValueError, match=r"\(5, 7\)"):
        plots.plot_cost_contours(w1, w2, J.T)
    with pytest.raises(ValueError, match="3-D"):
        plots.plot_cost_surface(w1, w2, J, ax=plt.subplots()[1])


def test_softmax_overflow_plot_marks_where_naive_breaks():
    scales = np.logspace(0, 3.5, 50)
    z = np.array([1.0, 0.2, -0.4])
    ax = plots.plot_softmax_overflow(z, 0, scales)
    stable, naive = [ln.get_ydata() for ln in ax.get_lines()][:2]
    Y = np.zeros((scales.size, 3))
    Y[:, 0] = 1
    np.testing.assert_allclose(stable, losses.softmax_cross_entropy_from_logits(
        scales[:, None] * z, Y))
    assert np.isnan(naive[-1]) and np.isfinite(naive[0])
    assert any("naive gives" in t.get_text() for t in ax.texts)


# ------------------------------------------------------------ exercises
@pytest.mark.parametrize("exercise_id", CH12)
def test_reference_passes_its_own_check(exercise_id):
    exercise = get(exercise_id)
    assert exercise.chapter in (1, 2)
    assert 1 <= exercise.points <= 3
    assert check(exercise_id, exercise.reference), check(exercise_id, exercise.reference)
    assert check(exercise_id, exercise.reference, seed="fresh")


@pytest.mark.parametrize("exercise_id, mistake", [
    (e, m.name) for e in CH12 for m in get(e).mistakes if m.wrong is not None])
def test_every_listed_mistake_is_recognised_by_name(exercise_id, mistake):
    wrong = next(m for m in get(exercise_id).mistakes if m.name == mistake).wrong
    result = check(exercise_id, wrong)
    assert not result
    assert result.mistake == mistake, result.message


def _layer_forward_untransposed(A_prev, W, b, f):
    Z = A_prev @ W + b
    return Z, f(Z)


def _forward_pass_untransposed(X, weights, biases, f_hidden, f_output):
    zs, acts = [], [X]
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        zs.append(acts[-1] @ W + b)
        acts.append(f_output(zs[-1]) if l == len(weights) else f_hidden(zs[-1]))
    return zs, acts


def _layer_forward_column_form(A_prev, W, b, f):
    Z = W @ A_prev.T + b                                # z = W a, with the batch as columns
    return Z, f(Z)


def _layer_forward_bias_column(A_prev, W, b, f):
    Z = A_prev @ W.T + b[:, None]
    return Z, f(Z)


def _forward_pass_column_form(X, weights, biases, f_hidden, f_output):
    zs, acts = [], [X]
    for W, b in zip(weights, biases):
        zs.append(W @ acts[-1].T + b)
        acts.append(f_hidden(zs[-1]))
    return zs, acts


def _forward_pass_bias_column(X, weights, biases, f_hidden, f_output):
    zs, acts = [], [X]
    for W, b in zip(weights, biases):
        zs.append(acts[-1] @ W.T + b.reshape(-1, 1))
        acts.append(f_hidden(zs[-1]))
    return zs, acts


def _collapse_reversed(weights, biases):
    W, b = weights[0], biases[0]
    for W_next, b_next in zip(weights[1:], biases[1:]):
        W, b = W @ W_next, W_next @ b + b_next          # first layer on the left
    return W, b


def _collapse_biases_summed(weights, biases):
    W, b = weights[0], biases[0]
    for W_next, b_next in zip(weights[1:], biases[1:]):
        W, b = W_next @ W, b + b_next                   # the earlier bias skips W_next
    return W, b


def _logits_naive_math(Z, Y):
    # element by element with the math module: exp(1000) raises OverflowError
    total = 0.0
    for z_row, y_row in zip(Z.tolist(), Y.tolist()):
        denominator = sum(math.exp(t) for t in z_row)
        total -= sum(y * math.log(math.exp(t) / denominator) for t, y in zip(z_row, y_row))
    return total / len(Z)


@pytest.mark.parametrize("exercise_id, fn, mistake", [
    ("layer_forward", _layer_forward_untransposed, "W_not_transposed"),
    ("forward_pass", _forward_pass_untransposed, "W_not_transposed"),
    ("layer_forward", _layer_forward_column_form, "column_form"),
    ("layer_forward", _layer_forward_bias_column, "bias_as_column"),
    ("forward_pass", _forward_pass_column_form, "column_form"),
    ("forward_pass", _forward_pass_bias_column, "bias_as_column"),
    ("collapse_linear", _collapse_reversed, "product_order_reversed"),
    ("collapse_linear", _collapse_biases_summed, "biases_summed"),
    ("softmax_cross_entropy_from_logits", _logits_naive_math, "naive_softmax_overflow"),
])
def test_mistakes_that_raise_are_recognised_by_name(exercise_id, fn, mistake):
    result = check(exercise_id, fn)
    assert not result and result.mistake == mistake, result.message


def test_every_raising_mistake_has_a_test():
    tested = {("layer_forward", "W_not_transposed"), ("forward_pass", "W_not_transposed"),
              ("collapse_linear", "product_order_reversed"), ("collapse_linear", "biases_summed"),
              ("layer_forward", "column_form"), ("layer_forward", "bias_as_column"),
              ("forward_pass", "column_form"), ("forward_pass", "bias_as_column"),
              ("softmax_cross_entropy_from_logits", "naive_softmax_overflow"),
              ("softmax_cross_entropy_from_logits", "keepdims_missing")}   # tests/test_ch02.py
    raising = {(e, m.name) for e in CH12 for m in get(e).mistakes if m.wrong is None}
    assert raising == tested


def test_naive_numpy_softmax_fails_the_stable_exercise():
    def naive(Z, Y):
        E = np.exp(Z)
        return float(np.mean(-np.sum(Y * np.log(E / E.sum(axis=1, keepdims=True)), axis=1)))
    result = check("softmax_cross_entropy_from_logits", naive)
    assert not result and "NaN or infinity" in result.message
    assert result.mistake == "naive_softmax_overflow", result.message


def test_sign_flip_and_stub_are_reported():
    def flipped(A, Y):
        return -float(np.mean(0.5 * np.sum((A - Y) ** 2, axis=1)))

    def stub(A, Y):
        raise NotImplementedError()
    assert check("mse_cost", flipped).mistake == "sign_flipped"
    assert "not implemented" in check("mse_cost", stub).message


def test_exercise_inputs_are_non_square():
    rng = np.random.default_rng(0)
    A_prev, W, b, _ = get("layer_forward").make_inputs(rng)
    assert len({A_prev.shape[0], W.shape[0], W.shape[1]}) == 3
    for weights, _ in get("collapse_linear").cases(rng):
        assert all(W.shape[0] != W.shape[1] for W in weights)
        assert weights[0].shape[1] != weights[-1].shape[0]
    for exercise_id in CH12[4:]:
        A, Y = get(exercise_id).make_inputs(rng)
        assert A.shape == Y.shape and A.shape[0] != A.shape[1] and A.shape[0] >= 4


def test_stable_exercise_inputs_reach_the_thousands():
    Z, _ = get("softmax_cross_entropy_from_logits").make_inputs(np.random.default_rng(1))
    assert np.abs(Z).max() > 709                      # e^z overflows past ~709.78


# ------------------------------------------------------------ chapter 1's two derivation exercises
def test_collapse_reference_is_the_network_on_random_inputs_for_every_depth():
    """The reference (W, b) reproduces a network of identity layers, 1 to 5 layers deep."""
    rng = np.random.default_rng(11)
    ref = get("collapse_linear").reference
    for L in range(1, 6):
        sizes = [int(s) for s in rng.integers(2, 8, size=L + 1)]
        net = Network(sizes, hidden="identity", output="identity", seed=L)
        net.biases = [rng.normal(size=n) for n in sizes[1:]]
        W, b = ref(net.weights, net.biases)
        X = rng.normal(size=(9, sizes[0]))
        assert W.shape == (sizes[-1], sizes[0]) and b.shape == (sizes[-1],)
        np.testing.assert_allclose(X @ W.T + b, net.forward(X), rtol=1e-12, atol=1e-12)


def test_collapse_check_refuses_hard_coded_depth_and_covers_one_to_four_layers():
    def two_layers(weights, biases):
        return weights[1] @ weights[0], weights[1] @ biases[0] + biases[1]
    assert not check("collapse_linear", two_layers)
    depths = {len(w) for w, _ in get("collapse_linear").cases(np.random.default_rng(0))}
    assert {2, 3, 4} <= depths


def test_silu_reference_matches_finite_differences_and_torch():
    import torch                    # the test set-up installs it; no skip
    rng = np.random.default_rng(5)
    Z = rng.uniform(-6, 6, size=(4, 7))
    ref = get("silu_derivative").reference(Z)
    f = lambda: float(np.sum(Z * activations.sigmoid(Z)))          # noqa: E731
    numeric = bp_lib.numerical_gradient(f, Z)
    assert bp_lib.array_relative_error(ref, numeric) < 1e-8
    t = torch.tensor(Z, requires_grad=True)
    torch.nn.functional.silu(t).sum().backward()
    np.testing.assert_allclose(ref, t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_chapter1_linear_network_is_affine_and_tanh_is_not():
    """The claim of chapter 1 section 7, on its own data: identity layers give a plane exactly."""
    X, Y = bp_lib.datasets.moons(m=200, noise=0.15, seed=1)
    fits = {}
    for hidden in ("identity", "tanh"):
        net = Network([2, 8, 8, 1], hidden=hidden, output="sigmoid", loss="cross_entropy", seed=0)
        bp_lib.train(net, X, Y, eta=0.5, epochs=2000)
        g1, g2 = np.meshgrid(np.linspace(-1.5, 2.5, 40), np.linspace(-1.0, 1.5, 30))
        grid = np.c_[g1.ravel(), g2.ravel()]
        design = np.c_[np.ones(len(grid)), grid]
        z = net.forward_trace(grid).zs[-1][:, 0]
        coef, *_ = np.linalg.lstsq(design, z, rcond=None)
        fits[hidden] = (np.linalg.norm(design @ coef - z) / np.linalg.norm(z), net.accuracy(X, Y))
    assert fits["identity"][0] < 1e-12 and fits["tanh"][0] > 0.1
    assert fits["identity"][1] < 0.95 <= fits["tanh"][1]


def test_chapter_1_and_2_shape_hints_speak_of_the_forward_pass_not_of_delta():
    def sliced_bias(A_prev, W, b, f):
        Z = A_prev @ W.T + b[:2]
        return Z, f(Z)
    result = check("layer_forward", sliced_bias)
    assert result.mistake == "shape_mismatch_forward" and "δ" not in result.message
    assert "(m, s_l)" in result.message and "array (" in result.message   # the inputs' shapes


def test_draw_network_labels_the_edge_to_j_from_k():
    ax = plots.draw_network([3, 5, 4, 2], edge=(2, 3, 1))
    thick = [ln for ln in ax.get_lines() if ln.get_linewidth() > 2]
    assert len(thick) == 1
    (x0, x1), (y0, y1) = thick[0].get_xdata(), thick[0].get_ydata()
    assert (x0, x1) == (2.0, 4.0)                    # from layer 1 to layer 2
    circles = [(c.center[0], c.center[1]) for c in ax.patches]
    layer1 = sorted((y for x, y in circles if x == 2.0), reverse=True)
    layer2 = sorted((y for x, y in circles if x == 4.0), reverse=True)
    assert y0 == layer1[0] and y1 == layer2[2]       # unit 1 (top) to unit 3
    assert any("W^{(2)}_{31}" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="edge"):
        plots.draw_network([3, 5, 4, 2], edge=(2, 5, 1))      # layer 2 has 4 units


def test_draw_unit_writes_the_sum_and_the_output_it_computes():
    a, w, b = np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.4, -0.1]), 0.3
    texts = [t.get_text() for t in plots.draw_unit(a, w, b, "tanh").texts]
    z = 0.1 - 0.4 - 0.2 + 0.3                                 # by hand, not w @ a + b
    assert any(t == f"z = {z:.4g}" for t in texts), texts
    assert any(f"= {math.tanh(z):.4g}" in t for t in texts)
    assert any("$w_3$ = -0.1" in t for t in texts) and any("$a_2$ = -1" in t for t in texts)
    with pytest.raises(ValueError, match="w must have 3 entries"):
        plots.draw_unit(a, w[:2], b)
    with pytest.raises(TypeError, match="b must be a real number"):
        plots.draw_unit(a, w, np.array([0.3]))


def test_batch_product_frames_row_i_column_j_and_their_entry(rng):
    A, W, b = rng.normal(size=(6, 3)), rng.normal(size=(5, 3)), rng.normal(size=5)
    fig = plots.plot_batch_product(A, W, b, example=2, unit=4)
    ax = fig.axes[0]
    cells = [p for p in ax.patches if p.get_fill()]
    assert len(cells) == 6 * 3 + 3 * 5 + 5 + 6 * 5            # one square per entry of each block
    frames = [p for p in ax.patches if not p.get_fill()]
    w_h = sorted((round(p.get_width() / 0.62), round(p.get_height() / 0.62)) for p in frames)
    assert w_h == sorted([(3, 1), (1, 3), (1, 1), (1, 1)])   # a row of A, a column of Wᵀ, b_j, Z_ij
    z = sum(A[2, k] * W[4, k] for k in range(3)) + b[4]
    assert any(t.get_text().startswith("$Z_{35}$") and t.get_text().split("=")[-1].strip().startswith(f"{z:.2f}")
               for t in ax.texts), [t.get_text() for t in ax.texts][-1]
    numbers = {t.get_text() for t in ax.texts}
    assert f"{z:.2f}" in numbers                              # drawn in Z's block too
    with pytest.raises(ValueError, match="W must have 3 columns"):
        plots.plot_batch_product(A, W.T, b)
    with pytest.raises(ValueError, match="unit must be <= 4"):
        plots.plot_batch_product(A, W, b, unit=5)


def _forward_as_learner(order="zs_first", stop=0):
    def forward_pass(X, weights, biases, f_hidden, f_output):
        zs, acts = [], [X]
        L = len(weights)
        for l in range(1, L + 1 - stop):
            Z = acts[-1] @ weights[l - 1].T + biases[l - 1]
            zs.append(Z)
            acts.append(f_output(Z) if l == L - stop else f_hidden(Z))
        return (zs, acts) if order == "zs_first" else (acts, zs)
    return forward_pass


@pytest.mark.parametrize("order,stop,name", [("acts_first", 0, "lists_swapped"), ("zs_first", 1, "stops_early")])
def test_forward_pass_names_a_swapped_return_and_a_loop_that_stops_early(order, stop, name):
    assert check("forward_pass", _forward_as_learner()).passed
    result = check("forward_pass", _forward_as_learner(order, stop))
    assert not result.passed and result.mistake == name
    assert ("(zs, activations)" if stop == 0 else "range(1, L + 1)") in result.message


def test_collapse_linear_names_a_bias_multiplied_by_the_combined_W():
    def sequential(weights, biases):
        W, b = weights[0], biases[0]
        for W_next, b_next in zip(weights[1:], biases[1:]):
            W = W_next @ W
            b = W @ b + b_next                 # uses the W just updated
        return W, b
    result = check("collapse_linear", sequential)
    assert not result.passed and result.mistake == "product_order_reversed"
    assert "before W is updated" in result.message
