"""Bad input gets a clear TypeError/ValueError at the public entry point, naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import bp_lib
from bp_lib import datasets, regularization

NET = dict(sizes=[3, 4, 2], hidden="sigmoid", output="sigmoid", loss="mse")
X = np.zeros((5, 3))
Y = np.zeros((5, 2))


def net(**kw):
    return bp_lib.Network(**{**NET, **kw})


CASES = [
    # constructor
    ("sizes not a list", lambda: bp_lib.Network(3), TypeError, "sizes"),
    ("one layer", lambda: bp_lib.Network([3]), ValueError, "at least two"),
    ("zero-width layer", lambda: bp_lib.Network([3, 0, 2]), ValueError, "sizes[1] = 0"),
    ("float width", lambda: bp_lib.Network([3, 2.5, 2]), TypeError, "sizes[1]"),
    ("unknown hidden", lambda: net(hidden="softmax"), ValueError, "hidden must be one of"),
    ("unknown output", lambda: net(output="relu"), ValueError, "output must be one of"),
    ("unknown loss", lambda: net(loss="hinge"), ValueError, "loss must be one of"),
    ("CE on softmax", lambda: net(output="softmax", loss="cross_entropy"), ValueError,
     "does not fit"),
    ("softmax CE on sigmoid", lambda: net(loss="softmax_cross_entropy"), ValueError,
     "does not fit"),
    ("CE on identity", lambda: net(output="identity", loss="cross_entropy"), ValueError,
     "does not fit"),
    ("softmax with one unit", lambda: bp_lib.Network([3, 1], output="softmax",
                                                     loss="softmax_cross_entropy"),
     ValueError, "at least 2 units"),
    ("negative seed", lambda: net(seed=-1), ValueError, "seed"),
    # X and Y
    ("X 1-D", lambda: net().forward(np.zeros(3)), ValueError, "X must be 2-D"),
    ("X wrong width", lambda: net().forward(np.zeros((5, 2))), ValueError, "X must have 3 columns"),
    ("X transposed", lambda: net().forward(np.zeros((3, 5))), ValueError, "got shape (3, 5)"),
    ("X empty", lambda: net().forward(np.zeros((0, 3))), ValueError, "empty"),
    ("X has NaN", lambda: net().forward(np.full((2, 3), np.nan)), ValueError, "NaN"),
    ("X has inf", lambda: net().cost(np.full((5, 3), np.inf), Y), ValueError, "finite"),
    ("X is text", lambda: net().forward("abc"), TypeError, "X must be"),
    ("Y wrong width", lambda: net().cost(X, np.zeros((5, 3))), ValueError, "Y must have 2 columns"),
    ("Y 1-D labels", lambda: net().cost(X, np.zeros(5)), ValueError, "one_hot"),
    ("rows differ", lambda: net().gradients(X, np.zeros((4, 2))), ValueError,
     "same number of rows"),
    ("CE labels out of [0,1]", lambda: net(loss="cross_entropy").cost(X, np.full((5, 2), 2.0)),
     ValueError, "[0, 1]"),
    ("softmax labels not one-hot",
     lambda: net(output="softmax", loss="softmax_cross_entropy").cost(X, np.ones((5, 2))),
     ValueError, "sum to 1"),
    ("negative lam", lambda: net().cost(X, Y, lam=-1.0), ValueError, "lam must be >= 0"),
    ("lam not a number", lambda: net().gradients(X, Y, lam="big"), TypeError, "lam"),
    ("weights overwritten with wrong shape",
     lambda: _with(net(), lambda n: n.weights.__setitem__(0, np.zeros((3, 4)))).forward(X),
     ValueError, "net.weights[0] must be an array of shape"),
    # train
    ("eta zero", lambda: bp_lib.train(net(), X, Y, eta=0.0), ValueError, "eta must be > 0"),
    ("eta negative", lambda: bp_lib.train(net(), X, Y, eta=-0.1), ValueError, "eta"),
    ("eta nan", lambda: bp_lib.train(net(), X, Y, eta=float("nan")), ValueError, "eta"),
    ("epochs zero", lambda: bp_lib.train(net(), X, Y, eta=0.1, epochs=0), ValueError, "epochs"),
    ("epochs float", lambda: bp_lib.train(net(), X, Y, eta=0.1, epochs=2.5), TypeError, "epochs"),
    ("batch zero", lambda: bp_lib.train(net(), X, Y, eta=0.1, batch_size=0), ValueError,
     "batch_size"),
    ("batch too big", lambda: bp_lib.train(net(), X, Y, eta=0.1, batch_size=6), ValueError,
     "at most the number of training examples (5)"),
    ("train lam negative", lambda: bp_lib.train(net(), X, Y, eta=0.1, lam=-2), ValueError, "lam"),
    ("train not a net", lambda: bp_lib.train("net", X, Y, eta=0.1), TypeError, "Network"),
    ("val half given", lambda: bp_lib.train(net(), X, Y, eta=0.1, X_val=X), ValueError, "X_val"),
    # datasets and helpers
    ("one_hot 2-D", lambda: bp_lib.one_hot(np.zeros((2, 2))), ValueError, "1-D"),
    ("one_hot negative", lambda: bp_lib.one_hot([0, -1]), ValueError, ">= 0"),
    ("one_hot too few classes", lambda: bp_lib.one_hot([0, 3], 3), ValueError, "< n_classes"),
    ("moons bad noise", lambda: datasets.moons(noise=-1), ValueError, "noise"),
    ("gradient check bad gradients", lambda: bp_lib.gradient_check(net(), X, Y, gradients=([], [])),
     ValueError, "dW must be a list of 2"),
    ("numerical gradient int array", lambda: bp_lib.numerical_gradient(lambda: 0.0, np.arange(3)),
     TypeError, "float64"),
]


def _with(obj, change):
    change(obj)
    return obj


@pytest.mark.parametrize("label,call,exc,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly(label, call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value), str(info.value)
    # the error comes from bp_lib's own check, not from deep inside numpy
    assert "numpy" not in info.traceback[-1].path.parts


def test_valid_pairs_are_accepted():
    for output, loss in [("sigmoid", "mse"), ("softmax", "mse"), ("identity", "mse"),
                         ("sigmoid", "cross_entropy"), ("softmax", "softmax_cross_entropy")]:
        bp_lib.Network([2, 3, 2], output=output, loss=loss)


# ---------------------------------------------- issue 16: inputs that used to get through
def test_complex_input_is_refused_not_silently_made_real():
    net = bp_lib.Network([2, 3, 1], seed=0)
    with pytest.raises(TypeError, match=r"X must be .*\(real\); got complex"):
        net.forward(np.ones((4, 2)) + 1j)


def test_a_network_with_nan_weights_is_refused():
    net = bp_lib.Network([2, 3, 1], seed=0)
    net.weights[0][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"net.weights\[0\] must contain only finite numbers; got 1"):
        net.gradients(np.ones((4, 2)), np.ones((4, 1)))
    net = bp_lib.Network([2, 3, 1], seed=0)
    net.biases[1] = net.biases[1].astype(complex)
    with pytest.raises(TypeError, match=r"net.biases\[1\] must hold real numbers"):
        net.forward(np.ones((4, 2)))


def test_gradient_check_names_a_wrong_network_argument():
    with pytest.raises(TypeError, match="net must be a bp_lib.Network; got str"):
        bp_lib.gradient_check("net", np.ones((4, 2)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="eps"):
        bp_lib.gradient_check(bp_lib.Network([2, 3, 1]), np.ones((4, 2)), np.ones((4, 1)), eps=0)


@pytest.mark.parametrize("call, match", [
    (lambda: regularization.l2_penalty([np.ones((2, 3))], 0.1, 0), "m must be"),
    (lambda: regularization.l2_penalty([np.ones((2, 3))], -1.0, 5), "lam must be"),
    (lambda: regularization.l2_penalty(np.ones((2, 3)), 0.1, 5), "weights must be a list"),
    (lambda: regularization.l2_gradient("W", 0.1, 5), "W must be"),
    (lambda: regularization.weight_decay_factor(0.0, 0.1, 5), "eta must be"),
])
def test_regularization_refuses_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_regularization_accepts_lists_ints_and_numpy_scalars():
    got = regularization.l2_penalty([[[1, 2], [3, 4]]], np.float32(0.5), np.int64(5))
    assert isinstance(got, float) and got == pytest.approx(0.5 / 10 * 30)
    np.testing.assert_array_equal(regularization.l2_gradient([[1, 2]], 1, 2), [[0.5, 1.0]])


# ------------------------------------------------- the rest of the API (delta, losses, activations,
# gradcheck, plots, widgets' views): argument, expected, actual — never numpy's own message
import matplotlib  # noqa: E402

matplotlib.use("Agg")
from bp_lib import activations, delta, gradcheck, losses, plots  # noqa: E402
from bp_lib.widgets import explorers, stepper  # noqa: E402

_Z, _Y3 = np.ones((5, 4)), np.full((5, 3), 1 / 3)
_NET = bp_lib.Network([2, 3, 1], seed=0)
REST = [
    ("output_delta shapes", lambda: delta.output_delta(_Z, _Z, _Y3, "sigmoid", "mse"), ValueError,
     r"Z, A, Y must all have the shape \(m, s_L\); got Z \(5, 4\), A \(5, 4\), Y \(5, 3\)"),
    ("output_delta unsupported pair", lambda: delta.output_delta(_Z, _Z, _Z, "softmax", "cross_entropy"),
     ValueError, "loss 'cross_entropy' is not defined for a 'softmax' output"),
    ("output_delta_mse shapes", lambda: delta.output_delta_mse(_Z, _Z, _Y3), ValueError, "must all have the shape"),
    ("softmax CE delta shapes", lambda: delta.output_delta_softmax_cross_entropy(_Z, _Y3), ValueError,
     r"A, Y must all have the shape"),
    ("hidden_delta text", lambda: delta.hidden_delta("d", np.ones((3, 4)), _Z), TypeError, "delta_next must be"),
    ("layer_gradients 1-D", lambda: delta.layer_gradients(np.ones(3), _Z), ValueError, "delta must be 2-D"),
    ("mse shapes", lambda: losses.mse(_Z, _Y3), ValueError, r"A and Y must have the same shape \(m, s_L\)"),
    ("mse 1-D", lambda: losses.mse(np.ones(3), np.ones(3)), ValueError, r"A must be 2-D .* use A\[None, :\]"),
    ("cross_entropy of logits", lambda: losses.cross_entropy(np.full((2, 2), 2.0), np.ones((2, 2))),
     ValueError, r"A must hold sigmoid outputs .* from 2 to 2 .*_from_logits"),
    ("softmax CE of logits", lambda: losses.softmax_cross_entropy(-_Y3, _Y3), ValueError, "softmax outputs"),
    ("logsumexp 1-D", lambda: losses.logsumexp(np.ones(3)), ValueError, r"Z must be 2-D \(m, K\)"),
    ("softplus text", lambda: losses.softplus("z"), TypeError, "Z must be an array of numbers; got str"),
    ("from_logits shapes", lambda: losses.softmax_cross_entropy_from_logits(_Z, _Y3), ValueError,
     "Z and Y must have the same shape"),
    ("sigmoid complex", lambda: activations.sigmoid(np.ones(2) * 1j), TypeError, r"\(real\); got complex"),
    ("sigmoid None", lambda: activations.sigmoid(None), TypeError, "Z must be an array of numbers; got NoneType"),
    ("relu_derivative None", lambda: activations.relu_derivative(None), TypeError, "Z must be"),
    ("tanh out wrong shape", lambda: activations.tanh(_Z, out=np.empty((4, 5))), ValueError,
     r"out must be a float64 array shaped like Z \(5, 4\); got float64 array of shape \(4, 5\)"),
    ("softmax no logits", lambda: activations.softmax(np.ones((3, 0))), ValueError, "at least one logit"),
    ("numerical_gradient not callable", lambda: gradcheck.numerical_gradient(3, np.ones(3)), TypeError,
     "f must be a function of no arguments"),
    ("numerical_gradient f gives an array", lambda: gradcheck.numerical_gradient(lambda: np.ones(2), np.ones(3)),
     TypeError, r"f\(\) must return one number .* shape \(2,\) — sum or average it first"),
    ("report tolerance", lambda: gradcheck.report("x", np.ones(3), np.ones(3), tolerance=-1), ValueError,
     "tolerance must be > 0"),
    ("relative_error text", lambda: gradcheck.relative_error("a", np.ones(3)), TypeError, "analytic must be"),
    ("plot_history None", lambda: plots.plot_history(None), TypeError,
     "history must be a bp_lib.History .*; got NoneType"),
    ("plot_train_val None", lambda: plots.plot_train_val(None), TypeError, "history must be a bp_lib.History"),
    ("plot_cost_curves None", lambda: plots.plot_cost_curves([None]), TypeError, r"histories\[0\] must be"),
    ("plot_batch_modes empty", lambda: plots.plot_batch_modes([]), ValueError, "at least one bp_lib.History"),
    ("plot_delta_flow text", lambda: plots.plot_delta_flow("net", X, Y), TypeError, "net must be a bp_lib.Network"),
    ("plot_trace_heatmaps None", lambda: plots.plot_trace_heatmaps(None), TypeError, "trace must be"),
    ("plot_lambda_curve lengths", lambda: plots.plot_lambda_curve([1, 2], [1], [1, 2]), ValueError,
     "one entry per λ"),
    ("plot_weight_sizes text", lambda: plots.plot_weight_sizes("W"), TypeError, "weights must be a non-empty list"),
    ("confusion_matrix label", lambda: plots.confusion_matrix([0, 5], [0, 1], 3), ValueError,
     r"y_true must be 1-D whole class indices in 0..2; got shape \(2,\), values 0 to 5"),
    ("plot_validation_points rows", lambda: plots.plot_validation_points(np.ones((3, 2)), np.ones((4, 1)), None),
     ValueError, "Y_val must have 3 rows"),
    ("lambda_view resolution", lambda: explorers.lambda_view(0.1, resolution=1), ValueError,
     "resolution must be >= 2"),
    ("describe_eta_run None", lambda: explorers.describe_eta_run(None), TypeError, "history must be"),
    ("figure_png None", lambda: explorers.figure_png(None), TypeError, "fig must be a matplotlib Figure"),
    ("describe_step text", lambda: stepper.describe_step("net", 0), TypeError, "net must be a bp_lib.Network"),
    ("stepper_png dpi", lambda: stepper.stepper_png(_NET, np.ones((2, 2)), np.ones((2, 1)) / 2, 0, dpi=0),
     ValueError, "dpi must be > 0"),
]


@pytest.mark.parametrize("label,call,exc,pattern", REST, ids=[c[0] for c in REST])
def test_the_rest_of_the_api_refuses_bad_input_clearly(label, call, exc, pattern):
    import matplotlib.pyplot as plt
    try:
        with pytest.raises(exc, match=pattern):
            call()
    finally:
        plt.close("all")


def test_lists_ints_and_float32_are_accepted_with_float64_results():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(4, 3))
    A, Yl = activations.sigmoid(Z), (rng.random((4, 3)) > 0.5).astype(int)
    for z in (Z.tolist(), Z.astype(np.float32), np.float32(0.5), 2):
        out = activations.sigmoid(z)
        assert out.dtype == np.float64 and np.allclose(out, activations.sigmoid(np.asarray(z, float)))
    assert np.allclose(delta.output_delta(Z.tolist(), A.tolist(), Yl, "sigmoid", "cross_entropy"), A - Yl)
    assert losses.mse(A.astype(np.float32), Yl).dtype == np.float64
    assert np.allclose(losses.cross_entropy(A.tolist(), Yl.tolist()), losses.cross_entropy(A, Yl))
    W = rng.normal(size=(3, 5))
    d = delta.hidden_delta(A.tolist(), W.astype(np.float32), rng.normal(size=(4, 5)).tolist(), "tanh")
    assert d.dtype == np.float64 and d.shape == (4, 5)
    dW, db = delta.layer_gradients(A.tolist(), np.ones((4, 2), dtype=int))
    assert dW.shape == (3, 2) and dW.dtype == db.dtype == np.float64
    assert gradcheck.numerical_gradient(lambda: np.float32(1.0), np.ones(2)).tolist() == [0.0, 0.0]
