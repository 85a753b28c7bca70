"""The numerical core: gradients against finite differences, hand-worked values, numerics."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import bp_lib
from bp_lib import activations, delta, losses

PAIRS = [("sigmoid", "mse"), ("softmax", "mse"), ("identity", "mse"),
         ("sigmoid", "cross_entropy"), ("softmax", "softmax_cross_entropy")]
HIDDEN = ["sigmoid", "tanh", "relu", "identity"]


def targets(rng, m, k, output, loss):
    if loss == "softmax_cross_entropy":
        return bp_lib.one_hot(rng.integers(0, k, m), k)
    if loss == "cross_entropy":
        return rng.random((m, k))
    return rng.normal(size=(m, k)) if output == "identity" else rng.random((m, k))


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_gradients_match_finite_differences(hidden, output, loss, lam):
    rng = np.random.default_rng(zlib.crc32(f"{hidden} {output} {loss}".encode()))
    sizes = [3, 5, 4, 2]                      # every weight matrix non-square
    net = bp_lib.Network(sizes, hidden=hidden, output=output, loss=loss, seed=1)
    for b in net.biases:                      # non-zero biases, so their gradients matter
        b[:] = rng.normal(scale=0.3, size=b.shape)
    X = rng.normal(size=(7, 3))
    Y = targets(rng, 7, 2, output, loss)
    report = bp_lib.gradient_check(net, X, Y, lam=lam)
    assert report.ok, report                  # every array below TOLERANCE = 1e-6
    assert [p.name for p in report.parameters] == ["W1", "b1", "W2", "b2", "W3", "b3"]


def test_gradients_shapes_match_parameters():
    net = bp_lib.Network([4, 6, 3], output="softmax", loss="softmax_cross_entropy")
    X = np.ones((5, 4))
    dW, db = net.gradients(X, bp_lib.one_hot([0, 1, 2, 0, 1], 3), lam=0.1)
    assert [g.shape for g in dW] == [W.shape for W in net.weights] == [(6, 4), (3, 6)]
    assert [g.shape for g in db] == [b.shape for b in net.biases] == [(6,), (3,)]


def test_hand_worked_example_of_document_002():
    """One hidden layer, row vectors h = relu(x W¹), linear output y = h W², E = ½(d − y)².

    By hand: h' = [0.9, 1.2, −0.3], h = [0.9, 1.2, 0], y = −0.75, d = 0.25, E = 0.5,
    ∂E/∂W²_i = (y − d) h_i = [−0.9, −1.2, 0], ∂E/∂W¹_ij = (y − d) W²_j Φ'_j x_i.
    """
    x = np.array([[1.0, 2.0]])
    W1_rows = np.array([[0.1, 0.2, -1.5],      # document 002's W¹: (n_in, 3), x @ W¹
                        [0.4, 0.5, 0.6]])
    W2_rows = np.array([[0.5], [-1.0], [2.0]])
    net = bp_lib.Network([2, 3, 1], hidden="relu", output="identity", loss="mse")
    net.weights[0][:] = W1_rows.T               # the course keeps the math's (s_l, s_{l-1})
    net.weights[1][:] = W2_rows.T
    trace = net.forward_trace(x)
    np.testing.assert_allclose(trace.zs[0], [[0.9, 1.2, -0.3]])
    np.testing.assert_allclose(trace.activations[1], [[0.9, 1.2, 0.0]])
    np.testing.assert_allclose(trace.output, [[-0.75]])
    d = np.array([[0.25]])
    assert net.cost(x, d) == pytest.approx(0.5)
    dW, db = net.gradients(x, d)
    np.testing.assert_allclose(dW[1], np.array([[-0.9, -1.2, 0.0]]))
    np.testing.assert_allclose(dW[0].T, [[-0.5, 1.0, 0.0], [-1.0, 2.0, 0.0]])
    np.testing.assert_allclose(db[1], [-1.0])
    np.testing.assert_allclose(db[0], [-0.5, 1.0, 0.0])


def test_hand_worked_sigmoid_network():
    """All weights 0: every sigmoid unit outputs ½ and σ' = ¼, so every number is exact."""
    net = bp_lib.Network([2, 2, 1], hidden="sigmoid", output="sigmoid", loss="mse")
    for W in net.weights:
        W[:] = 0.0
    X, Y = np.array([[1.0, -1.0]]), np.array([[1.0]])
    assert net.cost(X, Y) == pytest.approx(0.125)          # ½(½ − 1)²
    trace = net.backprop(X, Y)
    np.testing.assert_allclose(trace.deltas[1], [[-0.125]])  # (a − y) σ'(z) = −½ · ¼
    np.testing.assert_allclose(trace.dW[1], [[-0.0625, -0.0625]])
    np.testing.assert_allclose(trace.deltas[0], [[0.0, 0.0]])  # Wᵀδ with W = 0


def test_uniform_softmax_cost_is_log_k():
    net = bp_lib.Network([3, 4], output="softmax", loss="softmax_cross_entropy")
    net.weights[0][:] = 0.0
    assert net.cost(np.ones((2, 3)), bp_lib.one_hot([1, 3], 4)) == pytest.approx(np.log(4))


def test_batch_is_mean_of_single_examples():
    """The vectorised batch gives exactly the mean of the per-example gradients."""
    rng = np.random.default_rng(3)
    net = bp_lib.Network([3, 5, 2], hidden="tanh", output="sigmoid", loss="cross_entropy")
    X, Y = rng.normal(size=(6, 3)), rng.random((6, 2))
    dW, db = net.gradients(X, Y, lam=0.4)
    singles = [net.gradients(X[i:i + 1], Y[i:i + 1]) for i in range(6)]
    for l in range(2):
        mean_dW = np.mean([s[0][l] for s in singles], axis=0) + 0.4 / 6 * net.weights[l]
        np.testing.assert_allclose(dW[l], mean_dW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db[l], np.mean([s[1][l] for s in singles], axis=0),
                                   rtol=1e-12, atol=1e-15)


def test_backprop_trace_exposes_every_layer():
    rng = np.random.default_rng(0)
    net = bp_lib.Network([3, 5, 4, 2], output="softmax", loss="softmax_cross_entropy")
    X, Y = rng.normal(size=(7, 3)), bp_lib.one_hot(rng.integers(0, 2, 7), 2)
    t = net.backprop(X, Y)
    assert [z.shape for z in t.zs] == [(7, 5), (7, 4), (7, 2)]
    assert [a.shape for a in t.activations] == [(7, 3), (7, 5), (7, 4), (7, 2)]
    assert [d.shape for d in t.deltas] == [(7, 5), (7, 4), (7, 2)]
    np.testing.assert_allclose(t.deltas[-1], t.output - Y)
    # each hidden δ is the recursion of chapter 4, applied to the next one
    for l in (1, 0):
        np.testing.assert_allclose(
            t.deltas[l], delta.hidden_delta(t.deltas[l + 1], net.weights[l + 1], t.zs[l]))
    # each layer's gradient comes from its δ and the previous activation
    for l in range(3):
        dW, db = delta.layer_gradients(t.deltas[l], t.activations[l])
        np.testing.assert_allclose(t.dW[l], dW)
        np.testing.assert_allclose(t.db[l], db)
    np.testing.assert_allclose(net.forward(X), t.output)


def test_deltas_are_derivatives_of_the_per_example_loss():
    """δ⁽ˡ⁾ row i = ∂ℓ_i/∂z⁽ˡ⁾_i, checked by nudging z directly."""
    rng = np.random.default_rng(5)
    net = bp_lib.Network([2, 3, 4], hidden="tanh", output="softmax", loss="mse")
    X, Y = rng.normal(size=(1, 2)), rng.random((1, 4))
    t = net.backprop(X, Y)
    z = t.zs[-1].copy()

    def loss():
        return float(losses.mse(activations.softmax(z), Y)[0])
    np.testing.assert_allclose(bp_lib.numerical_gradient(loss, z), t.deltas[-1], rtol=1e-7)


def test_output_delta_shortcuts_equal_the_general_chain_rule():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(5, 3))
    A_sig, A_soft = activations.sigmoid(Z), activations.softmax(Z)
    Y_bin, Y_cat = rng.random((5, 3)), bp_lib.one_hot([0, 2, 1, 1, 0], 3)
    general = activations.ACTIVATIONS["sigmoid"].backward(Z, A_sig,
                                                          losses.cross_entropy_grad(A_sig, Y_bin))
    np.testing.assert_allclose(delta.output_delta_sigmoid_cross_entropy(A_sig, Y_bin), general)
    jac = np.stack([activations.softmax_jacobian(a) for a in A_soft])
    general = np.einsum("mki,mk->mi", jac, losses.softmax_cross_entropy_grad(A_soft, Y_cat))
    np.testing.assert_allclose(delta.output_delta_softmax_cross_entropy(A_soft, Y_cat), general)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_derivatives(name):
    act = activations.ACTIVATIONS[name]
    z = np.array([-2.3, -0.4, 0.7, 1.9])      # away from ReLU's kink
    numeric = (act.f(z + 1e-6) - act.f(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(act.derivative(z), numeric, rtol=1e-8, atol=1e-10)


def test_softmax_jacobian_matches_finite_differences():
    z = np.array([0.3, -1.2, 2.0, 0.1])
    J = np.column_stack([(activations.softmax(z + e) - activations.softmax(z - e)) / 2e-6
                         for e in np.eye(4) * 1e-6])
    np.testing.assert_allclose(activations.softmax_jacobian(activations.softmax(z)), J,
                               rtol=1e-7, atol=1e-10)


def test_no_overflow_for_huge_inputs():
    """pytest turns every RuntimeWarning into an error, so this also checks 'no warning'."""
    z = np.array([[-5000.0, -800.0, 0.0, 800.0, 5000.0]])
    s = activations.sigmoid(z)
    assert np.all(np.isfinite(s)) and 0.0 <= s[0, 0] < 1e-300 and s[0, -1] == 1.0
    p = activations.softmax(np.array([[1000.0, 1001.0, 999.0]]))
    np.testing.assert_allclose(p.sum(), 1.0)
    assert np.all(np.isfinite(p))
    # a saturated, wrong sigmoid: the exact loss is about |z| = 5000, not inf
    assert losses.sigmoid_cross_entropy_from_logits(np.array([[5000.0]]), np.array([[0.0]]))[0] \
        == pytest.approx(5000.0)
    assert losses.softmax_cross_entropy_from_logits(
        np.array([[0.0, 3000.0]]), np.array([[1.0, 0.0]]))[0] == pytest.approx(3000.0)
    assert np.isfinite(losses.cross_entropy(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])))


def test_network_cost_is_finite_when_outputs_saturate():
    net = bp_lib.Network([1, 2], output="softmax", loss="softmax_cross_entropy")
    net.weights[0][:] = [[1000.0], [-1000.0]]
    J = net.cost(np.array([[3.0]]), np.array([[0.0, 1.0]]))
    assert J == pytest.approx(6000.0)
    dW, _ = net.gradients(np.array([[3.0]]), np.array([[0.0, 1.0]]))
    assert all(np.all(np.isfinite(g)) for g in dW)


def test_seed_makes_networks_reproducible():
    a, b = bp_lib.Network([3, 4, 2], seed=7), bp_lib.Network([3, 4, 2], seed=7)
    c = bp_lib.Network([3, 4, 2], seed=8)
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert not np.array_equal(a.weights[0], c.weights[0])


def test_weights_can_be_overwritten_in_place():
    net = bp_lib.Network([2, 3, 1], output="identity")
    X = np.array([[1.0, 2.0]])
    net.weights[1][:] = 0.0
    net.biases[1][:] = 4.0
    np.testing.assert_allclose(net.forward(X), [[4.0]])
    net.weights[1] = np.ones((1, 3))
    assert net.forward(X).shape == (1, 1)


def test_gradient_check_finds_a_planted_bug():
    rng = np.random.default_rng(4)
    net = bp_lib.Network([3, 5, 2], hidden="sigmoid", output="sigmoid", loss="mse")
    X, Y = rng.normal(size=(6, 3)), rng.random((6, 2))
    dW, db = net.gradients(X, Y)
    buggy = ([dW[0] * 1.1, dW[1]], db)            # a 10 % error in one layer
    report = bp_lib.gradient_check(net, X, Y, gradients=buggy)
    assert not report.ok
    assert [p.name for p in report.parameters if not p.ok] == ["W1"]
    assert "WRONG" in repr(report)


def test_numerical_gradient_restores_the_parameter_on_error():
    x = np.array([1.0, 2.0])

    def boom():
        raise RuntimeError("inside f")
    with pytest.raises(RuntimeError):
        bp_lib.numerical_gradient(boom, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_workspace_gives_the_same_numbers_and_reuses_its_arrays():
    """train's fast path (kept arrays) computes exactly what the public path does."""
    from bp_lib.network import Workspace
    rng = np.random.default_rng(6)
    for hidden, output, loss in [("sigmoid", "softmax", "softmax_cross_entropy"),
                                 ("tanh", "sigmoid", "cross_entropy"),
                                 ("relu", "identity", "mse"), ("identity", "softmax", "mse")]:
        net = bp_lib.Network([4, 6, 5, 3], hidden=hidden, output=output, loss=loss, seed=2)
        X = rng.normal(size=(9, 4))
        Y = targets(rng, 9, 3, output, loss)
        fresh = net.backprop(X, Y, lam=0.3)
        ws = Workspace()
        first = net.backprop(X, Y, 0.3, workspace=ws)
        for name in ("zs", "activations", "deltas", "dW", "db"):
            for a, b in zip(getattr(fresh, name), getattr(first, name)):
                np.testing.assert_array_equal(a, b)
        second = net.backprop(X, Y, 0.3, workspace=ws)
        assert all(a is b for a, b in zip(first.zs, second.zs))        # the same arrays
        assert all(a is b for a, b in zip(first.deltas[:-1], second.deltas[:-1]))


def test_gradient_check_has_a_wide_margin_on_correct_gradients():
    """Over many random networks a correct backprop stays 10x below the tolerance,
    also for arrays whose gradient is tiny (where finite differences are noisiest)."""
    worst = 0.0
    for seed in range(25):
        for hidden in HIDDEN:
            for output, loss in PAIRS:
                rng = np.random.default_rng(seed)
                net = bp_lib.Network([3, 5, 4, 2], hidden=hidden, output=output, loss=loss, seed=1)
                for b in net.biases:
                    b[:] = rng.normal(scale=0.3, size=b.shape)
                X = rng.normal(size=(7, 3))
                report = bp_lib.gradient_check(net, X, targets(rng, 7, 2, output, loss), lam=0.7)
                worst = max(worst, report.max_relative_error)
    assert worst < bp_lib.gradcheck.TOLERANCE / 10, worst


@pytest.mark.parametrize("Z", [
    [[-600.0, -599.0, -601.0], [0.0, 1.0, 2.0]],      # span < 700: one shift for the batch
    [[0.0, 1.0, 2.0], [2000.0, 2001.0, 1999.0]],      # span > 700: a shift per row
    [[-1e4, 0.0, 1e4], [5.0, 5.0, 5.0]],
])
def test_softmax_is_exact_whatever_the_span_of_the_logits(Z):
    Z = np.array(Z)
    A = activations.softmax(Z)
    for z, a in zip(Z, A):   # one row at a time, shifted by its own maximum
        e = np.exp(z - z.max())
        np.testing.assert_allclose(a, e / e.sum(), rtol=1e-14, atol=0)


def test_network_backprop_is_the_loop_over_the_delta_functions(monkeypatch):
    """Network.backprop must run chapter 3–4's functions, not a second copy of them: replace
    them with recording wrappers, and every call shows up — and a broken hidden_delta breaks it."""
    calls = []

    def spy(name):
        original = getattr(delta, name)

        def wrapper(*args, **kwargs):
            calls.append(name)
            return original(*args, **kwargs)
        return wrapper

    for name in ("output_delta", "layer_gradients", "hidden_delta"):
        monkeypatch.setattr(delta, name, spy(name))
    rng = np.random.default_rng(3)
    net = bp_lib.Network([4, 6, 5, 3], hidden="tanh", output="softmax", loss="softmax_cross_entropy")
    X, Y = rng.normal(size=(7, 4)), bp_lib.one_hot(rng.integers(0, 3, 7), 3)
    dW, db = net.gradients(X, Y, lam=0.2)
    assert calls == ["output_delta", "layer_gradients", "hidden_delta", "layer_gradients",
                     "hidden_delta", "layer_gradients"]
    assert bp_lib.gradient_check(net, X, Y, lam=0.2, gradients=(dW, db)).ok
    monkeypatch.setattr(delta, "hidden_delta", lambda d, W, Z, *a, **k: d @ W)   # f' dropped
    assert not bp_lib.gradient_check(net, X, Y, lam=0.2).ok


def test_training_and_gradcheck_use_only_networks_public_interface():
    import ast
    from pathlib import Path
    for module in ("training.py", "gradcheck.py"):
        tree = ast.parse((Path(bp_lib.__file__).parent / module).read_text())
        private = sorted({node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                          and isinstance(node.value, ast.Name) and node.value.id == "net"
                          and node.attr.startswith("_")})
        assert not private, f"{module} uses Network's private {private}"
        imported = [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for a in node.names if a.name.startswith("_") and node.module != "__future__"
                    and a.name != "_validate"]
        assert not imported, f"{module} imports private names {imported}"


def test_delta_functions_write_into_given_arrays_and_refuse_wrong_ones():
    rng = np.random.default_rng(4)
    D, W, Z = rng.normal(size=(6, 3)), rng.normal(size=(3, 5)), rng.normal(size=(6, 5))
    fresh = delta.hidden_delta(D, W, Z, "sigmoid")
    out, scratch = np.empty((6, 5)), np.empty((6, 5))
    got = delta.hidden_delta(D, W, Z, "sigmoid", A=activations.sigmoid(Z), out=out, scratch=scratch)
    assert got is out and np.allclose(got, fresh, rtol=1e-14, atol=0)
    with pytest.raises(ValueError, match=r"out must be an array shaped like Z \(6, 5\); got \(5, 6\)"):
        delta.hidden_delta(D, W, Z, "sigmoid", out=np.empty((5, 6)))
    A_prev = rng.normal(size=(6, 4))
    dW, db = delta.layer_gradients(D, A_prev)
    kept = (np.empty((3, 4)), np.empty(3))
    dW2, db2 = delta.layer_gradients(D, A_prev, out=kept)
    assert dW2 is kept[0] and db2 is kept[1]
    assert np.allclose(dW2, sum(np.outer(D[i], A_prev[i]) for i in range(6)) / 6, rtol=1e-13)
    assert np.allclose(db2, D.mean(axis=0), rtol=1e-13) and np.array_equal(dW, dW2)
    with pytest.raises(ValueError, match=r"out\[0\] \(dW\) must be an array of shape \(3, 4\)"):
        delta.layer_gradients(D, A_prev, out=(np.empty((4, 3)), np.empty(3)))


def test_gradients_reuses_its_memory_but_hands_out_arrays_of_its_own():
    import pickle
    rng = np.random.default_rng(8)
    net = bp_lib.Network([4, 6, 3], hidden="tanh", output="softmax", loss="softmax_cross_entropy")
    X = rng.normal(size=(9, 4))
    Y1, Y2 = (bp_lib.one_hot(rng.integers(0, 3, 9), 3) for _ in range(2))
    dW1, db1 = net.gradients(X, Y1, lam=0.1)
    kept = [g.copy() for g in dW1 + db1]
    dW2, db2 = net.gradients(X, Y2, lam=0.1)                 # same shapes: the kept arrays are reused
    assert all(np.array_equal(a, b) for a, b in zip(dW1 + db1, kept)), "an earlier result changed"
    trace = net.backprop(X, Y2, lam=0.1)
    assert all(np.array_equal(a, b) for a, b in zip(dW2 + db2, trace.dW + trace.db))
    assert not any(np.shares_memory(a, b) for a in dW2 + db2 for b in dW1 + db1)
    assert "_gradients_workspace" in net.__dict__
    assert "_gradients_workspace" not in net.copy().__dict__
    assert "_gradients_workspace" not in pickle.loads(pickle.dumps(net)).__dict__
    dW3, _ = net.gradients(X[:5], Y2[:5])                     # another batch size: new arrays
    assert dW3[0].shape == dW1[0].shape and net._gradients_workspace.rows == 5
