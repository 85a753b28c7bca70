"""bp_lib.crosswalk: every notation computes the course's output; conversions round-trip;
bad input gets a message that names the argument."""

from __future__ import annotations

import numpy as np
import pytest

import bp_lib
from bp_lib import crosswalk as cw


@pytest.fixture
def net():
    rng = np.random.default_rng(11)
    net = bp_lib.Network([3, 5, 4, 2], hidden="tanh", output="sigmoid", seed=4)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    return net


@pytest.fixture
def X():
    return np.random.default_rng(12).normal(size=(6, 3))


def test_every_notation_computes_the_same_output(net, X):
    want = net.forward(X)
    np.testing.assert_allclose(cw.forward_theta(cw.thetas_from_network(net), X, "tanh"), want,
                               rtol=1e-12)
    np.testing.assert_allclose(cw.forward_row(cw.row_params_from_network(net), X, "tanh"), want,
                               rtol=1e-12)
    np.testing.assert_allclose(cw.forward_linear(cw.linear_state_dict(net), X, "tanh"), want,
                               rtol=1e-12)
    columns = np.hstack([cw.forward_column(net.weights, net.biases, x, "tanh") for x in X])
    np.testing.assert_allclose(columns.T, want, rtol=1e-12)


def test_layouts(net):
    thetas = cw.thetas_from_network(net)
    assert [T.shape for T in thetas] == [(5, 4), (4, 6), (2, 5)]
    np.testing.assert_array_equal(thetas[1][:, 0], net.biases[1])        # bias in column 0
    rows = cw.row_params_from_network(net)
    assert [W.shape for W, _ in rows] == [(3, 5), (5, 4), (4, 2)]       # (in, out)
    state = cw.linear_state_dict(net)
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert state["2.weight"].shape == (4, 5)                             # (out, in), as nn.Linear
    state["0.weight"][0, 0] += 1.0                                       # a copy, not a view
    assert state["0.weight"][0, 0] != net.weights[0][0, 0]


def test_round_trips(net):
    for other in (cw.network_from_thetas(cw.thetas_from_network(net), "tanh"),
                  cw.network_from_state_dict(cw.linear_state_dict(net), "tanh")):
        assert other.sizes == net.sizes
        for P, Q in zip(other.weights + other.biases, net.weights + net.biases):
            np.testing.assert_array_equal(P, Q)


def test_layer_numbers_and_lambda():
    assert [cw.doc_layer(l, "003") for l in range(3)] == [1, 2, 3]
    assert [cw.doc_layer(l, "000") for l in range(3)] == [0, 1, 2]
    # 002: "上标(k)表示连接 k 层和 k+1 层的权重" and W^1 reads the input, so the input is layer 1
    assert [cw.doc_layer(l, "002") for l in range(3)] == [1, 2, 3]
    assert all(info["numbering"] for info in cw.DOCUMENTS.values())
    assert cw.course_layer(3, "004") == 2
    assert cw.convert_lambda(0.6, 12, "course", "004") == pytest.approx(0.05)
    assert cw.convert_lambda(0.05, 12, "004", "course") == pytest.approx(0.6)
    assert cw.convert_lambda(0.6, 12, "course", "003") == pytest.approx(0.6)
    assert cw.convert_lambda(0.6, 12, "course", "pytorch") == pytest.approx(0.05)


def test_the_converted_lambda_gives_the_same_gradient(net, X):
    Y = np.random.default_rng(13).random((6, 2))
    lam, m = 0.9, X.shape[0]
    lam_004 = cw.convert_lambda(lam, m, "course", "004")
    dW, _ = net.gradients(X, Y, lam)
    dW0, _ = net.gradients(X, Y, 0.0)
    for g, g0, W in zip(dW, dW0, net.weights):
        np.testing.assert_allclose(g, g0 + lam_004 * W, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("call, error, message", [
    (lambda n, X: cw.thetas_from_network("net"), TypeError, "net must be a bp_lib.Network"),
    (lambda n, X: cw.network_from_thetas(np.ones((3, 4))), TypeError, "Thetas must be a non-empty list"),
    (lambda n, X: cw.network_from_thetas([np.ones((4, 4)), np.ones((2, 4))]), ValueError,
     r"Thetas\[0\] gives 4 units but Thetas\[1\] expects 3 inputs"),
    (lambda n, X: cw.network_from_state_dict({"0.weight": np.ones((2, 3))}), ValueError,
     "state must have keys '0.weight', '0.bias'"),
    (lambda n, X: cw.forward_row([(n.weights[0], n.biases[0])], X), ValueError,
     "a column-convention W\\? transpose it"),
    (lambda n, X: cw.forward_theta(cw.thetas_from_network(n)[1:], X), ValueError,
     r"Thetas\[0\] must have 1 \+ 3 columns"),
    (lambda n, X: cw.forward_column(n.weights, n.biases, X), ValueError,
     "x must be one example as a column"),
    (lambda n, X: cw.forward_column(n.weights, n.biases[:2], X[0]), ValueError,
     "one entry per layer"),
    (lambda n, X: cw.forward_row(cw.row_params_from_network(n), X, hidden="softmax"), ValueError,
     "hidden must be one of"),
    (lambda n, X: cw.doc_layer(1, "005"), ValueError, "doc must be one of"),
    (lambda n, X: cw.course_layer(0, "003"), ValueError, "l_doc must be >= 1"),
    (lambda n, X: cw.convert_lambda(1.0, 5, "000", "course"), ValueError,
     "document 000 has no regularization term"),
    (lambda n, X: cw.convert_lambda(-1.0, 5), ValueError, "lam must be >= 0"),
])
def test_bad_input_is_named(net, X, call, error, message):
    with pytest.raises(error, match=message):
        call(net, X)


def test_torch_sequential_says_how_to_install_torch_when_it_is_missing(net, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torch", None)     # import torch now fails
    with pytest.raises(ModuleNotFoundError, match="pip install torch"):
        cw.torch_sequential(net)
