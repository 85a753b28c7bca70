"""The PyTorch row of the appendix's crosswalk, checked against real PyTorch (float64).

A network is converted to ``nn.Sequential(nn.Linear, act, …)`` by
``bp_lib.crosswalk.torch_sequential``; PyTorch's autograd and ``torch.optim.SGD`` must then
reproduce the course's output, gradients, δ and one training step to a relative error of
1e-12.  PyTorch is in requirements-dev.txt (``make setup-dev`` / ``make test`` install it), so
these tests are never skipped: without torch this file fails at import, saying why.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

# Idle OpenMP threads sleep instead of spinning, so they take no core from the tests after these.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    import torch
except ModuleNotFoundError as err:  # fail loudly: a skipped check is no check
    raise ModuleNotFoundError("tests/test_pytorch.py needs PyTorch; `make setup-dev` installs it "
                              "from requirements-dev.txt") from err

import bp_lib
from bp_lib import crosswalk as cw
from bp_lib.gradcheck import array_relative_error

AGREE = 1e-12

# (sizes, hidden, output, loss): every activation PyTorch gets, all layer widths different.
NETWORKS = [
    ([3, 5, 2], "sigmoid", "sigmoid", "mse"),
    ([4, 6, 3, 2], "tanh", "sigmoid", "cross_entropy"),
    ([3, 7, 4], "relu", "softmax", "softmax_cross_entropy"),
    ([5, 3, 2], "sigmoid", "identity", "mse"),
]


def _case(sizes, hidden, output, loss, m=6, seed=0):
    rng = np.random.default_rng(seed)
    net = bp_lib.Network(sizes, hidden=hidden, output=output, loss=loss, seed=seed + 1)
    net.biases = [rng.normal(scale=0.5, size=b.shape) for b in net.biases]
    X = rng.normal(size=(m, sizes[0]))
    if loss == "softmax_cross_entropy":
        Y = bp_lib.one_hot(rng.integers(0, sizes[-1], size=m), sizes[-1])
    else:
        Y = rng.random((m, sizes[-1]))
    return net, X, Y


def _course_cost(A, Y, loss):
    """The course's cost, mean over the batch of the per-example loss, written in torch."""
    if loss == "mse":
        per_example = 0.5 * ((A - Y) ** 2).sum(dim=1)
    elif loss == "cross_entropy":
        per_example = -(Y * torch.log(A) + (1 - Y) * torch.log(1 - A)).sum(dim=1)
    else:
        per_example = -(Y * torch.log(A)).sum(dim=1)
    return per_example.mean()


def _forward_keeping_z(model, X):
    """Run the model layer by layer, keeping every pre-activation z with its gradient."""
    a, zs = X, []
    for linear, act in zip(model[0::2], model[1::2]):
        z = linear(a)
        z.retain_grad()   # z is not a leaf: without this, z.grad stays None
        zs.append(z)
        a = act(z)
    return a, zs


def _t(array):
    return torch.from_numpy(np.ascontiguousarray(array))


@pytest.mark.parametrize("sizes, hidden, output, loss", NETWORKS)
def test_pytorch_computes_the_course_output(sizes, hidden, output, loss):
    net, X, _ = _case(sizes, hidden, output, loss)
    model = cw.torch_sequential(net)
    assert all(p.dtype == torch.float64 for p in model.parameters())
    with torch.no_grad():
        out = model(_t(X)).numpy()
    assert out.shape == (X.shape[0], sizes[-1])
    assert array_relative_error(out, net.forward(X)) <= AGREE
    # a wrong layout would show: the same model with one weight matrix perturbed disagrees
    with torch.no_grad():
        model[0].weight[0, 0] += 1e-3
        assert array_relative_error(model(_t(X)).numpy(), net.forward(X)) > 1e-6


def test_state_dict_keys_and_layout_are_pytorchs():
    net, _, _ = _case(*NETWORKS[1])
    state = cw.torch_sequential(net).state_dict()
    ours = cw.linear_state_dict(net)
    assert list(state) == list(ours)
    for key, value in state.items():
        assert tuple(value.shape) == ours[key].shape
        np.testing.assert_array_equal(value.numpy(), ours[key])
    assert tuple(state["2.weight"].shape) == (3, 6)                 # (out_features, in_features)


@pytest.mark.parametrize("sizes, hidden, output, loss", NETWORKS)
@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_autograd_gives_the_course_gradients_and_delta(sizes, hidden, output, loss, lam):
    net, X, Y = _case(sizes, hidden, output, loss)
    m = X.shape[0]
    model = cw.torch_sequential(net)
    A, zs = _forward_keeping_z(model, _t(X))
    penalty = lam / (2 * m) * sum((lin.weight ** 2).sum() for lin in model[0::2])
    cost = _course_cost(A, _t(Y), loss) + penalty
    cost.backward()
    trace = net.backprop(X, Y, lam=lam)
    assert abs(cost.item() - net.cost(X, Y, lam=lam)) <= AGREE * abs(cost.item())
    for l, lin in enumerate(model[0::2]):
        assert array_relative_error(lin.weight.grad.numpy(), trace.dW[l]) <= AGREE
        assert array_relative_error(lin.bias.grad.numpy(), trace.db[l]) <= AGREE
        # z.grad is the gradient of the batch cost: the course's per-example delta over m
        assert array_relative_error(zs[l].grad.numpy(), trace.deltas[l] / m) <= AGREE


def test_z_grad_is_none_without_retain_grad():
    net, X, Y = _case(*NETWORKS[0])
    model = cw.torch_sequential(net)
    z = model[0](_t(X))
    cost = _course_cost(model[3](model[2](model[1](z))), _t(Y), "mse")
    cost.backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert z.grad is None
    assert model[0].weight.grad is not None                        # leaves do get .grad


def test_mse_loss_is_a_mean_over_every_entry_without_the_half():
    net, X, Y = _case([3, 5, 4], "sigmoid", "sigmoid", "mse")     # s_L = 4: 2/s_L is not 1
    m, s_L = Y.shape
    model = cw.torch_sequential(net)
    A, zs = _forward_keeping_z(model, _t(X))
    torch.nn.MSELoss()(A, _t(Y)).backward()
    delta_out = net.backprop(X, Y).deltas[-1]
    assert array_relative_error(zs[-1].grad.numpy(), 2 * delta_out / (m * s_L)) <= AGREE
    assert array_relative_error(zs[-1].grad.numpy(), delta_out / m) > 0.1   # not delta/m


def _course_step(net, XB, YB, lam, n, eta):
    """One step of the course on a batch: batch-mean gradient plus lam/n W (chapter 5.6)."""
    dW, db = net.gradients(XB, YB, lam=0.0)
    return ([W - eta * (g + lam / n * W) for W, g in zip(net.weights, dW)],
            [b - eta * g for b, g in zip(net.biases, db)])


def _torch_step(net, XB, YB, eta, groups):
    model = cw.torch_sequential(net)
    weights, biases = list(model[0::2].parameters())[0::2], list(model[0::2].parameters())[1::2]
    optimizer = torch.optim.SGD(groups(weights, biases), lr=eta)
    optimizer.zero_grad()
    _course_cost(model(_t(XB)), _t(YB), net.loss).backward()
    optimizer.step()
    return ([p.detach().numpy() for p in weights], [p.detach().numpy() for p in biases])


@pytest.mark.parametrize("batch", [None, slice(2, 5)], ids=["full batch", "mini-batch of 3"])
def test_one_sgd_step_with_two_param_groups_is_the_course_update(batch):
    net, X, Y = _case([4, 6, 3, 2], "tanh", "sigmoid", "cross_entropy", m=8)
    n, lam, eta = X.shape[0], 0.9, 0.4
    XB, YB = (X, Y) if batch is None else (X[batch], Y[batch])
    want_W, want_b = _course_step(net, XB, YB, lam, n, eta)

    def two_groups(weights, biases):
        return [{"params": weights, "weight_decay": lam / n},    # lam / n, n = training set
                {"params": biases, "weight_decay": 0.0}]         # biases are not penalized
    got_W, got_b = _torch_step(net, XB, YB, eta, two_groups)
    for got, want in zip(got_W + got_b, want_W + want_b):
        assert array_relative_error(got, want) <= AGREE
    if batch is not None:   # the course's update matches the library's own mini-batch trick
        dW, db = net.gradients(XB, YB, lam=lam * XB.shape[0] / n)
        for got, W, g in zip(got_W, net.weights, dW):
            assert array_relative_error(got, W - eta * g) <= AGREE


def test_one_param_group_decays_the_biases_too():
    net, X, Y = _case([4, 6, 3, 2], "tanh", "sigmoid", "cross_entropy", m=8)
    n, lam, eta = X.shape[0], 0.9, 0.4
    want_W, want_b = _course_step(net, X, Y, lam, n, eta)
    got_W, got_b = _torch_step(net, X, Y, eta, lambda weights, biases: [
        {"params": weights + biases, "weight_decay": lam / n}])
    for got, want in zip(got_W, want_W):                           # weights: the same
        assert array_relative_error(got, want) <= AGREE
    for got, want, b in zip(got_b, want_b, net.biases):            # biases: decayed as well
        assert array_relative_error(got, want) > 1e-3
        np.testing.assert_allclose(got, want - eta * lam / n * b, rtol=1e-12, atol=1e-15)


def test_torch_sequential_rejects_what_is_not_a_network():
    with pytest.raises(TypeError, match="net must be a bp_lib.Network"):
        cw.torch_sequential({"0.weight": np.ones((2, 3))})
