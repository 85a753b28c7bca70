"""Chapter 3: the output δ exercises, the formulas they rest on, and the chapter's two figures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bp_lib  # noqa: E402
import bp_lib.exercises  # noqa: E402
from bp_lib import activations, delta, losses  # noqa: E402
from bp_lib.exercises import check  # noqa: E402
from bp_lib.exercises.core import get  # noqa: E402
from bp_lib.plots import plot_output_gradient, plot_softmax_jacobian  # noqa: E402

CH3 = ("output_delta_mse", "last_layer_gradients", "output_delta_softmax_mse", "output_delta_weighted_ce")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------- the exercises
@pytest.mark.parametrize("exercise_id", CH3)
def test_sizes_change_between_trials_and_are_never_square(exercise_id):
    ex = get(exercise_id)
    cases = ex.cases(np.random.default_rng(0))
    shapes = [tuple(a.shape for a in args) for args in cases]
    assert len(set(shapes)) == ex.trials, shapes           # a hard-coded size fails some trial
    for args in cases:
        sizes = [n for a in args for n in a.shape]
        for a in args:
            assert a.ndim == 1 or a.shape[0] != a.shape[1], a.shape   # w of 3.4 is (K,)
        if exercise_id == "last_layer_gradients":              # m, s_L and s_(L-1) all differ
            assert len({args[0].shape[0], args[0].shape[1], args[1].shape[1]}) == 3, sizes


def test_chapter_has_four_exercises_rising_to_two_derivations():
    chapter = sorted((e for e in bp_lib.exercises.all_exercises() if e.chapter == 3),
                     key=lambda e: e.points)
    assert {e.id for e in chapter[-2:]} == {"output_delta_softmax_mse", "output_delta_weighted_ce"}
    assert {e.id for e in chapter} == set(CH3)


def test_softmax_mse_reference_matches_finite_differences():
    rng = np.random.default_rng(5)
    Z = rng.normal(size=(6, 4))
    Y = bp_lib.one_hot(rng.integers(0, 4, size=6), 4)
    numeric = bp_lib.numerical_gradient(lambda: losses.mse(activations.softmax(Z), Y).sum(), Z)
    ours = get("output_delta_softmax_mse").reference(activations.softmax(Z), Y)
    np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-9)
    # and it is NOT the cross-entropy shortcut a − y
    assert bp_lib.array_relative_error(activations.softmax(Z) - Y, numeric) > 0.1


def test_softmax_mse_jacobian_loop_passes():
    """A learner's plain loop over the rows through the full Jacobian is accepted."""
    def by_loop(A, Y):
        return np.stack([(np.diag(a) - np.outer(a, a)).T @ (a - y) for a, y in zip(A, Y)])
    assert check("output_delta_softmax_mse", by_loop).passed
    assert check("output_delta_softmax_mse", by_loop, seed="fresh").passed


@pytest.mark.parametrize("exercise_id", CH3)
def test_mistakes_differ_from_each_other_and_from_the_answer(exercise_id):
    """Each named hint fires only for its own mistake: on the check's cases the mistakes give
    pairwise different answers, all different from the right one."""
    ex = get(exercise_id)
    args = ex.cases(np.random.default_rng(1))[0]
    answers = [("reference", ex.reference(*args))]
    for mistake in ex.mistakes:
        try:
            answers.append((mistake.name, mistake.wrong(*args)))
        except ValueError:
            assert mistake.raises, mistake.name      # only a raising mistake may fail to run
    flat = [(name, np.concatenate([np.ravel(x) for x in (a if isinstance(a, tuple) else (a,))]))
            for name, a in answers]
    for p, (name1, a1) in enumerate(flat):
        for name2, a2 in flat[p + 1:]:
            assert a1.shape != a2.shape or not np.allclose(a1, a2), (name1, name2)


def test_softmax_mse_broadcast_hint_only_for_flat_row_sums():
    def flat_sums(A, Y):
        G = A - Y
        return A * (G - np.sum(G * A, axis=1))            # (m, K) − (m,)
    result = check("output_delta_softmax_mse", flat_sums)
    assert result.mistake == "row_sums_not_a_column", result.message

    def other_broadcast(A, Y):                             # a different broadcast error
        return A * (A - Y)[:, :1].T
    result = check("output_delta_softmax_mse", other_broadcast)
    assert result.mistake != "row_sums_not_a_column", result.message


# --------------------------------------------------------------- the library behind the chapter
def test_output_delta_general_route_matches_finite_differences_softmax_mse():
    rng = np.random.default_rng(6)
    Z = rng.normal(size=(5, 3))
    A, Y = activations.softmax(Z), rng.random((5, 3))
    numeric = bp_lib.numerical_gradient(lambda: losses.mse(activations.softmax(Z), Y).sum(), Z)
    np.testing.assert_allclose(delta.output_delta(Z, A, Y, "softmax", "mse"), numeric,
                               rtol=1e-6, atol=1e-9)


def test_bias_is_column_zero_of_the_folded_theta_gradient():
    """003's Θ = [b | W]: finite differences of the cost in Θ give [db | dW]."""
    rng = np.random.default_rng(7)
    net = bp_lib.Network([3, 5, 4], hidden="tanh", output="sigmoid", loss="cross_entropy", seed=2)
    X, Y = rng.normal(size=(7, 3)), (rng.random((7, 4)) < 0.5).astype(float)
    trace = net.backprop(X, Y)
    A_prev = trace.activations[-2]
    Theta = np.hstack([net.biases[-1][:, None], net.weights[-1]])
    ones = np.hstack([np.ones((7, 1)), A_prev])
    numeric = bp_lib.numerical_gradient(
        lambda: losses.sigmoid_cross_entropy_from_logits(ones @ Theta.T, Y).mean(), Theta)
    dW, db = delta.layer_gradients(trace.deltas[-1], A_prev)
    np.testing.assert_allclose(numeric[:, 0], db, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(numeric[:, 1:], dW, rtol=1e-6, atol=1e-9)


def test_summed_cost_gradient_is_m_times_the_mean():
    rng = np.random.default_rng(8)
    net = bp_lib.Network([2, 3, 2], hidden="sigmoid", output="identity", loss="mse", seed=1)
    X, Y = rng.normal(size=(9, 2)), rng.normal(size=(9, 2))
    dW, _ = net.gradients(X, Y)
    numeric_sum = bp_lib.numerical_gradient(lambda: 9 * net.cost(X, Y), net.weights[-1])
    np.testing.assert_allclose(numeric_sum, 9 * dW[-1], rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------- the figures
def test_plot_output_gradient_draws_the_outer_product_on_one_scale():
    rng = np.random.default_rng(9)
    d, a = rng.normal(size=3), rng.random(5)
    fig = plot_output_gradient(d, a)
    images = [im for ax in fig.axes for im in ax.images]
    arrays = [np.asarray(im.get_array()) for im in images]
    shapes = sorted(x.shape for x in arrays)
    assert shapes == sorted([(3, 1), (1, 5), (3, 5)])
    matrix = next(x for x in arrays if x.shape == (3, 5))
    np.testing.assert_allclose(matrix, np.outer(d, a))    # not a ⊗ d, not its transpose
    column = next(x for x in arrays if x.shape == (3, 1))
    np.testing.assert_allclose(column[:, 0], d)
    limits = {im.get_clim() for im in images}
    assert len(limits) == 1                                # one colour scale for all panels
    top = max(np.abs(d).max(), np.abs(a).max(), np.abs(np.outer(d, a)).max())
    assert limits.pop() == pytest.approx((-top, top))
    net_ax = fig.axes[0]
    assert len(net_ax.lines) == 3 * 5                      # one edge per weight
    widths = np.array([line.get_linewidth() for line in net_ax.lines]).reshape(3, 5)
    G = np.abs(np.outer(d, a))
    assert np.argmax(widths) == np.argmax(G)               # the widest edge has the largest |δ_j a_k|
    labels = " ".join(t.get_text() for t in net_ax.texts)  # units counted from 1, as in the text
    assert "$a_1$" in labels and "$a_5$" in labels and "$a_0$" not in labels and "$\\delta_3$" in labels
    matrix_ax = next(ax for ax in fig.axes if any(np.asarray(im.get_array()).shape == (3, 5) for im in ax.images))
    assert [t.get_text() for t in matrix_ax.get_xticklabels()] == ["1", "2", "3", "4", "5"]


def test_plot_softmax_jacobian_full_and_diagonal():
    a = activations.softmax(np.array([[0.3, -1.0, 1.2, 0.1]]))[0]
    fig = plot_softmax_jacobian(a)
    full, diag = (np.asarray(ax.images[0].get_array()) for ax in fig.axes[:2])
    np.testing.assert_allclose(full, np.diag(a) - np.outer(a, a))
    np.testing.assert_allclose(diag, np.diag(a * (1 - a)))
    np.testing.assert_allclose(full.sum(axis=0), 0, atol=1e-15)
    assert fig.axes[0].images[0].get_clim() == fig.axes[1].images[0].get_clim()


@pytest.mark.parametrize("bad, error, words", [
    (np.ones((2, 3)), ValueError, "delta must be a non-empty 1-D array"),
    ("abc", TypeError, "delta must be"),
    (np.array([1.0, np.nan]), ValueError, "finite"),
])
def test_plot_output_gradient_rejects_bad_delta(bad, error, words):
    with pytest.raises(error, match=words):
        plot_output_gradient(bad, np.ones(3))


def test_plot_softmax_jacobian_rejects_non_probabilities():
    with pytest.raises(ValueError, match="summing to 1"):
        plot_softmax_jacobian(np.array([0.5, 0.7]))
    with pytest.raises(ValueError, match="a must be a non-empty 1-D"):
        plot_softmax_jacobian(np.eye(2) / 2)


def test_weighted_cross_entropy_exercise_is_the_derivative_and_names_its_mistakes():
    """The reference is ∂ℓ/∂z by finite differences (one-hot and smoothed targets), reduces to
    a − y with unit weights, and each recognised mistake is named."""
    from bp_lib.exercises import check, get
    ex = get("output_delta_weighted_ce")
    rng = np.random.default_rng(4)
    for trial in range(3):
        Z, Y, w = ex.make_inputs(rng, trial)

        def loss():
            A = bp_lib.activations.softmax(Z)
            return float(np.sum(-np.sum(w * Y * np.log(A), axis=1)))
        np.testing.assert_allclose(ex.reference(Z, Y, w), bp_lib.numerical_gradient(loss, Z),
                                   rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ex.reference(Z, Y, np.ones_like(w)),
                                   bp_lib.activations.softmax(Z) - Y, atol=1e-12)
    for mistake in ex.mistakes:
        result = check(ex.id, mistake.wrong)
        assert not result and result.mistake == mistake.name, (mistake.name, result.message)
