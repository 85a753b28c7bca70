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
