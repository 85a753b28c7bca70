"""Tests for chapter 2's revision: the descent figures, the exercises' shapes and mistakes,
the derivation exercise, the `mse` factor, and the landscape the chapter describes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bp_lib import activations, losses, numerical_gradient, plots  # noqa: E402
from bp_lib.exercises import check, get  # noqa: E402
from bp_lib.gradcheck import TOLERANCE, array_relative_error  # noqa: E402

COSTS = ("mse_cost", "binary_cross_entropy_cost", "softmax_cross_entropy_from_logits")

# the chapter's data set (section 5): class 1 for x > 0, with two exceptions labelled 1
X_DATA = np.array([-2.8, -2.1, -1.5, -1.0, -0.6, -0.25, 0.25, 0.6, 1.0, 1.5, 2.1, 2.8])
Y_DATA = (X_DATA > 0).astype(float)
Y_DATA[[0, 5]] = 1.0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _landscape_cost(w, v, x, y):
    z = np.tanh(np.outer(x, w)) @ v
    return float(np.mean(losses.sigmoid_cross_entropy_from_logits(z[:, None], y[:, None])))


# ------------------------------------------------------------------ figures
def test_descent_path_draws_the_path_and_marks_every_kth_step():
    path = np.column_stack([np.linspace(0, 1, 31), np.linspace(0, -2, 31)])
    ax = plots.plot_descent_path(path, label="run", mark_every=10)
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), path[:, 0])
    np.testing.assert_array_equal(line.get_ydata(), path[:, 1])
    assert line.get_markevery() == 10 and line.get_label() == "run"
    assert ax.lines[1].get_xdata()[0] == 0 and ax.lines[2].get_ydata()[0] == -2   # start, end


@pytest.mark.parametrize("bad, error", [
    (np.zeros((5, 3)), ValueError), (np.zeros(4), ValueError),
    (np.array([[0.0, np.nan]]), ValueError), ("path", TypeError)])
def test_descent_path_rejects_bad_paths(bad, error):
    with pytest.raises(error, match="path"):
        plots.plot_descent_path(bad)


def test_descent_path_rejects_bad_mark_every():
    with pytest.raises(ValueError, match="mark_every"):
        plots.plot_descent_path(np.zeros((3, 2)), mark_every=0)


def test_labelled_points_draw_the_data_and_the_model():
    ax = plots.plot_labelled_points(X_DATA, Y_DATA, model=lambda x: activations.sigmoid(x))
    curve = ax.lines[0]
    np.testing.assert_allclose(curve.get_ydata(), activations.sigmoid(curve.get_xdata()))
    ones = ax.collections[1].get_offsets()
    assert len(ones) == int(Y_DATA.sum()) and np.all(np.asarray(ones)[:, 1] == 1)


def test_labelled_points_reject_bad_input():
    with pytest.raises(ValueError, match="same number"):
        plots.plot_labelled_points(X_DATA, Y_DATA[:-1])
    with pytest.raises(ValueError, match="0/1"):
        plots.plot_labelled_points(X_DATA, Y_DATA + 0.5)
    with pytest.raises(TypeError, match="model"):
        plots.plot_labelled_points(X_DATA, Y_DATA, model=3.0)


def test_cost_progress_is_normalised_between_start_and_floor():
    costs = np.array([3.0, 2.0, 1.5, 1.0])
    ax = plots.plot_cost_progress([("a", costs, 1.0)])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.5, 0.25, 0.0])


@pytest.mark.parametrize("runs, error", [
    ([], ValueError), ("runs", TypeError), ([("a", [1.0, 0.5])], ValueError),
    ([("a", [1.0, 0.5], 2.0)], ValueError), ([("a", [1.0, 0.5], "floor")], TypeError)])
def test_cost_progress_rejects_bad_runs(runs, error):
    with pytest.raises(error, match="runs"):
        plots.plot_cost_progress(runs)


# ------------------------------------------------------ the name "mse"
@pytest.mark.parametrize("m, s", [(5, 3), (7, 2), (4, 6)])
def test_usual_mse_is_two_over_s_times_the_course_cost(m, s):
    rng = np.random.default_rng(m * 10 + s)
    A, Y = rng.normal(size=(m, s)), rng.normal(size=(m, s))
    usual = np.mean((A - Y) ** 2)                 # nn.MSELoss / mean_squared_error, by hand
    assert np.isclose(usual, 2.0 / s * np.mean(losses.mse(A, Y)), rtol=1e-13)


# -------------------------------------------------------- exercise inputs
@pytest.mark.parametrize("exercise_id", COSTS + ("landscape_gradient",))
def test_shapes_vary_across_trials_and_stay_non_square(exercise_id):
    ex = get(exercise_id)
    shapes = set()
    for seed in range(4):
        for args in ex.cases(np.random.default_rng(seed)):
            if exercise_id == "landscape_gradient":
                w, v, x, y = args
                assert w.shape == v.shape and x.shape == y.shape and w.size != x.size
                shapes.add((x.size, w.size))
            else:
                A, Y = args
                assert A.shape == Y.shape and A.shape[0] != A.shape[1]
                shapes.add(A.shape)
    assert len({s[1] for s in shapes}) >= 2          # the width changes, not only m


# --------------------------------------------------------- named mistakes
def _named(exercise_id, fn):
    result = check(exercise_id, fn)
    assert not result
    return result.mistake


def test_cost_mistakes_are_named():
    assert _named("mse_cost", lambda A, Y: float(np.mean((A - Y) ** 2))) == "usual_mse"
    assert _named("mse_cost", lambda A, Y: float(np.mean(0.5 * np.sum((A - Y) ** 2, axis=0)))) \
        == "wrong_axis"
    assert _named("binary_cross_entropy_cost", lambda A, Y: float(np.mean(
        -np.sum(Y * np.log10(A) + (1 - Y) * np.log10(1 - A), axis=1)))) == "log10"
    assert _named("binary_cross_entropy_cost", lambda A, Y: float(np.mean(
        -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=0)))) == "wrong_axis"


def test_forgotten_keepdims_is_named():
    def no_keepdims(Z, Y):
        c = Z.max(axis=1)
        return float(np.mean(np.sum(Y * (c + np.log(np.sum(np.exp(Z - c), axis=1)) - Z), axis=1)))
    result = check("softmax_cross_entropy_from_logits", no_keepdims)
    assert not result and result.mistake == "keepdims_missing", result.message
    assert "keepdims" in result.message and "Wᵀ" not in result.message


def test_shift_then_log_of_softmax_gets_the_underflow_hint():
    def shift_then_log(Z, Y):
        c = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - c)
        return float(np.mean(-np.sum(Y * np.log(E / E.sum(axis=1, keepdims=True)), axis=1)))
    result = check("softmax_cross_entropy_from_logits", shift_then_log)
    assert not result and result.mistake == "naive_softmax_overflow"
    assert "underflowed" in result.message


# ------------------------------------------------ the derivation exercise
@pytest.mark.parametrize("seed", range(4))
def test_landscape_gradient_reference_matches_finite_differences(seed):
    ex = get("landscape_gradient")
    for w, v, x, y in ex.cases(np.random.default_rng(seed)):
        dw, dv = ex.reference(w, v, x, y)
        f = lambda: _landscape_cost(w, v, x, y)  # noqa: E731  (reads w and v, nudged in place)
        assert array_relative_error(dw, numerical_gradient(f, w)) < TOLERANCE
        assert array_relative_error(dv, numerical_gradient(f, v)) < TOLERANCE


def test_landscape_gradient_mistakes_are_named_and_the_correct_answer_passes():
    ex = get("landscape_gradient")
    assert check("landscape_gradient", ex.reference)
    for mistake in ex.mistakes:
        assert _named("landscape_gradient", mistake.wrong) == mistake.name


def test_landscape_gradient_hint_for_a_forgotten_tanh_derivative():
    def no_tanh_prime(w, v, x, y):
        T = np.tanh(np.outer(x, w))
        r = activations.sigmoid(T @ v) - y
        return np.mean(r[:, None] * v * x[:, None], axis=0), T.T @ r / x.size
    result = check("landscape_gradient", no_tanh_prime)
    assert result.mistake == "tanh_prime_missing" and "1 − tanh²" in result.message


# ---------------------------------------------- the landscape of the chapter
def test_the_chapter_landscape_has_a_finite_minimum_below_the_logistic_limit():
    """Descent from near the saddle ends inside the frame, where the gradient vanishes and the
    cost is clearly below the w1 → 0 limit σ(c·x) (the old example's cost fell towards that
    limit for ever)."""
    ex = get("landscape_gradient")
    w, v = np.array([0.3]), np.array([-0.1])
    for _ in range(3000):
        dw, dv = ex.reference(w, v, X_DATA, Y_DATA)
        w, v = w - 2.0 * dw, v - 2.0 * dv
    dw, dv = ex.reference(w, v, X_DATA, Y_DATA)
    assert max(abs(dw[0]), abs(dv[0])) < 1e-10
    assert 1.5 < w[0] < 2.5 and 1.5 < v[0] < 2.5          # inside the plotted frame
    J_min = _landscape_cost(w, v, X_DATA, Y_DATA)
    c = np.linspace(0.01, 20, 4000)                          # w1 → 0 with w1·w2 = c
    limit = min(float(np.mean(losses.sigmoid_cross_entropy_from_logits(
        (ci * X_DATA)[:, None], Y_DATA[:, None]))) for ci in c)
    assert J_min < limit - 0.1
    twin = _landscape_cost(-w, -v, X_DATA, Y_DATA)
    assert twin == pytest.approx(J_min, rel=1e-14)


def test_loss_figures_mark_the_values_at_the_chosen_logit():
    a = float(activations.sigmoid(np.array([-6.0]))[0])
    ax = plots.plot_loss_slopes_vs_logit(1.0, mark=-6.0)
    marked = [line.get_ydata()[0] for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(marked, [(a - 1) * a * (1 - a), a - 1])
    ax = plots.plot_losses_vs_logit(1.0, mark=-6.0)
    marked = [line.get_ydata()[0] for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose(marked, [0.5 * (a - 1) ** 2, -np.log(a)])
    with pytest.raises(TypeError, match="mark"):
        plots.plot_losses_vs_logit(1.0, mark="z")
