r"""The course's key results, derived by SymPy and compared with what bp_lib computes.

Each test differentiates the *definition* symbolically (no formula from the library is
assumed), checks the closed form the chapters derive, and then evaluates both the SymPy
derivative and bp_lib at random points (fixed seed, non-square shapes).  A wrong formula
in ``bp_lib.activations``, ``bp_lib.delta``, ``bp_lib.regularization`` or
``Network.backprop`` fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

from bp_lib import Network, activations, delta, losses, regularization  # noqa: E402

RTOL = 1e-10
ATOL = 1e-12


def sigmoid_expr(z):
    return 1 / (1 + sp.exp(-z))


def numeric(expr_or_matrix, symbols, values):
    """Evaluate a SymPy expression (or Matrix) at ``values`` (same order as ``symbols``)."""
    f = sp.lambdify(list(symbols), expr_or_matrix, modules="numpy")
    return np.array(f(*values), dtype=np.float64)


def rows(f, *arrays):
    """Apply a per-example function to each row of the arrays, stack the results."""
    return np.array([np.ravel(f(*r)) for r in zip(*arrays)])


# ------------------------------------------------------------------ activations
def test_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    z = sp.Symbol("z", real=True)
    s = sigmoid_expr(z)
    d = sp.diff(s, z)
    assert sp.simplify(d - s * (1 - s)) == 0
    Z = np.random.default_rng(0).normal(scale=3.0, size=(4, 3))
    want = numeric(d, [z], [Z])
    np.testing.assert_allclose(activations.sigmoid(Z), numeric(s, [z], [Z]), rtol=RTOL)
    np.testing.assert_allclose(activations.sigmoid_derivative(Z), want, rtol=RTOL, atol=ATOL)
    sig = activations.ACTIVATIONS["sigmoid"]
    dA = np.ones_like(Z)
    np.testing.assert_allclose(sig.backward(Z, sig.f(Z), dA), want, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(sig.backward(Z, None, dA), want, rtol=RTOL, atol=ATOL)


def test_tanh_derivative_is_one_minus_tanh_squared():
    z = sp.Symbol("z", real=True)
    d = sp.diff(sp.tanh(z), z)
    assert sp.simplify(d - (1 - sp.tanh(z) ** 2)) == 0
    Z = np.random.default_rng(1).normal(scale=2.0, size=(3, 5))
    want = numeric(d, [z], [Z])
    np.testing.assert_allclose(activations.tanh_derivative(Z), want, rtol=RTOL, atol=ATOL)
    th = activations.ACTIVATIONS["tanh"]
    np.testing.assert_allclose(th.backward(Z, th.f(Z), np.ones_like(Z)), want, rtol=RTOL,
                               atol=ATOL)


# ------------------------------------------------------------------- output δ
K = 3  # output units; the batches below have m = 4 examples (non-square)


def output_symbols():
    z = sp.Matrix(sp.symbols(f"z1:{K + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{K + 1}", real=True))
    return z, y


def softmax_expr(z):
    e = z.applyfunc(sp.exp)
    return e / sum(e)


def random_batch(seed, m=4, onehot=False):
    rng = np.random.default_rng(seed)
    Z = rng.normal(scale=1.5, size=(m, K))
    if onehot:
        Y = np.eye(K)[rng.integers(0, K, size=m)]
    else:
        Y = rng.random((m, K))
    return Z, Y


def test_output_delta_squared_error_sigmoid():
    z, y = output_symbols()
    a = z.applyfunc(sigmoid_expr)
    ell = sum((a[k] - y[k]) ** 2 for k in range(K)) / 2
    d = sp.Matrix([sp.diff(ell, z[i]) for i in range(K)])
    # the chapters' closed form: (a − y) ⊙ σ'(z) = (a − y) ⊙ a ⊙ (1 − a)
    closed = sp.Matrix([(a[i] - y[i]) * a[i] * (1 - a[i]) for i in range(K)])
    assert sp.simplify(d - closed) == sp.zeros(K, 1)
    Z, Y = random_batch(2)
    A = activations.sigmoid(Z)
    want = rows(lambda zr, yr: numeric(d, [*z, *y], [*zr, *yr]), Z, Y)
    np.testing.assert_allclose(delta.output_delta_mse(Z, A, Y, "sigmoid"), want, rtol=RTOL,
                               atol=ATOL)
    np.testing.assert_allclose(delta.output_delta(Z, A, Y, "sigmoid", "mse"), want, rtol=RTOL,
                               atol=ATOL)


def test_output_delta_squared_error_softmax_goes_through_the_jacobian():
    z, y = output_symbols()
    a = softmax_expr(z)
    ell = sum((a[k] - y[k]) ** 2 for k in range(K)) / 2
    d = sp.Matrix([sp.diff(ell, z[i]) for i in range(K)])
    Z, Y = random_batch(3)
    A = activations.softmax(Z)
    want = rows(lambda zr, yr: numeric(d, [*z, *y], [*zr, *yr]), Z, Y)
    np.testing.assert_allclose(delta.output_delta_mse(Z, A, Y, "softmax"), want, rtol=RTOL,
                               atol=ATOL)
    # an element-wise shortcut (a − y) ⊙ a(1 − a) — 001's slip, see the appendix — is wrong here
    assert not np.allclose((A - Y) * A * (1 - A), want)


def test_output_delta_sigmoid_binary_cross_entropy_is_a_minus_y():
    z, y = output_symbols()
    a = z.applyfunc(sigmoid_expr)
    ell = -sum(y[k] * sp.log(a[k]) + (1 - y[k]) * sp.log(1 - a[k]) for k in range(K))
    d = sp.Matrix([sp.diff(ell, z[i]) for i in range(K)])
    assert sp.simplify(d - (a - y)) == sp.zeros(K, 1)
    Z, Y = random_batch(4)
    A = activations.sigmoid(Z)
    want = rows(lambda zr, yr: numeric(d, [*z, *y], [*zr, *yr]), Z, Y)
    np.testing.assert_allclose(delta.output_delta_sigmoid_cross_entropy(A, Y), want, rtol=RTOL,
                               atol=ATOL)
    np.testing.assert_allclose(delta.output_delta(Z, A, Y, "sigmoid", "cross_entropy"), want,
                               rtol=RTOL, atol=ATOL)
    # the loss itself, from the logits (the stable form the network uses)
    ell_num = rows(lambda zr, yr: numeric(ell, [*z, *y], [*zr, *yr]), Z, Y).ravel()
    np.testing.assert_allclose(losses.sigmoid_cross_entropy_from_logits(Z, Y), ell_num,
                               rtol=RTOL)


def test_softmax_jacobian_and_cross_entropy_delta():
    z, y = output_symbols()
    a = softmax_expr(z)
    # the Jacobian ∂a_k/∂z_i, element by element, against a_k (1[k = i] − a_i)
    J = sp.Matrix(K, K, lambda k, i: sp.diff(a[k], z[i]))
    closed = sp.Matrix(K, K, lambda k, i: a[k] * ((1 if k == i else 0) - a[i]))
    assert sp.simplify(J - closed) == sp.zeros(K, K)
    # δ = Jᵀ ∂ℓ/∂a with ℓ = −Σ y_k log a_k; the labels of a row sum to 1
    grad_a = sp.Matrix([-y[k] / a[k] for k in range(K)])
    d = J.T * grad_a
    on_simplex = {y[K - 1]: 1 - sum(y[:K - 1])}
    assert sp.simplify((d - (a - y)).subs(on_simplex)) == sp.zeros(K, 1)
    # the same δ by differentiating ℓ(z) directly
    ell = -sum(y[k] * sp.log(a[k]) for k in range(K))
    d_direct = sp.Matrix([sp.diff(ell, z[i]) for i in range(K)])
    assert sp.simplify((d_direct - (a - y)).subs(on_simplex)) == sp.zeros(K, 1)

    Z, Y = random_batch(5, onehot=True)
    A = activations.softmax(Z)
    want = rows(lambda zr, yr: numeric(d, [*z, *y], [*zr, *yr]), Z, Y)
    np.testing.assert_allclose(delta.output_delta_softmax_cross_entropy(A, Y), want, rtol=RTOL,
                               atol=ATOL)
    np.testing.assert_allclose(delta.output_delta(Z, A, Y, "softmax", "softmax_cross_entropy"),
                               want, rtol=RTOL, atol=ATOL)
    sm = activations.ACTIVATIONS["softmax"]
    np.testing.assert_allclose(sm.backward(Z, A, losses.softmax_cross_entropy_grad(A, Y)), want,
                               rtol=RTOL, atol=ATOL)
    for zr in Z:
        np.testing.assert_allclose(activations.softmax_jacobian(activations.softmax(zr)),
                                   numeric(J, list(z), list(zr)), rtol=RTOL, atol=ATOL)
    # 001's (9.27): only the true class's component a − 1, zero elsewhere — wrong
    wrong = np.where(Y == 1, A - 1, 0.0)
    assert not np.allclose(wrong, want)


# -------------------------------------------------- hidden δ on a small network
SIZES = [2, 3, 4, 2]  # two hidden layers, so the recursion runs twice; no square W


def small_network_symbols(sizes):
    Ws = [sp.Matrix(n, n_prev, lambda j, k, l=l: sp.Symbol(f"W{l + 1}_{j}{k}", real=True))
          for l, (n_prev, n) in enumerate(zip(sizes[:-1], sizes[1:]))]
    bs = [sp.Matrix(n, 1, lambda j, _, l=l: sp.Symbol(f"b{l + 1}_{j}", real=True))
          for l, n in enumerate(sizes[1:])]
    return Ws, bs


def test_hidden_delta_recursion_matches_differentiating_the_loss():
    """δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ f'(z⁽ˡ⁾), checked against ∂ℓ/∂z⁽ˡ⁾ taken directly.

    The pre-activations of each hidden layer are free symbols, so the derivative of the
    loss with respect to them is the definition of δ, with no recursion assumed.
    """
    rng = np.random.default_rng(6)
    Ws_num = [rng.normal(size=(n, n_prev)) for n_prev, n in zip(SIZES[:-1], SIZES[1:])]
    bs_num = [rng.normal(size=n) for n in SIZES[1:]]
    y_num = rng.random(SIZES[-1])
    z1_num = rng.normal(size=SIZES[1])

    # ℓ as a function of z⁽¹⁾ (tanh hidden layers, sigmoid output, squared error)
    z1 = sp.Matrix(sp.symbols(f"z1_1:{SIZES[1] + 1}", real=True))
    a1 = z1.applyfunc(sp.tanh)
    z2 = sp.Matrix(Ws_num[1]) * a1 + sp.Matrix(bs_num[1])
    a2 = z2.applyfunc(sp.tanh)
    z3 = sp.Matrix(Ws_num[2]) * a2 + sp.Matrix(bs_num[2])
    a3 = z3.applyfunc(sigmoid_expr)
    ell = sum((a3[k] - y_num[k]) ** 2 for k in range(SIZES[-1])) / 2
    delta1_def = numeric(sp.Matrix([sp.diff(ell, s) for s in z1]), list(z1), list(z1_num)).ravel()

    # the recursion, run with bp_lib from the output layer down
    A1 = np.tanh(z1_num)[None, :]
    Z2 = A1 @ Ws_num[1].T + bs_num[1]
    A2 = np.tanh(Z2)
    Z3 = A2 @ Ws_num[2].T + bs_num[2]
    A3 = activations.sigmoid(Z3)
    d3 = delta.output_delta_mse(Z3, A3, y_num[None, :], "sigmoid")
    d2 = delta.hidden_delta(d3, Ws_num[2], Z2, "tanh")
    d1 = delta.hidden_delta(d2, Ws_num[1], z1_num[None, :], "tanh")
    np.testing.assert_allclose(d1.ravel(), delta1_def, rtol=1e-9, atol=ATOL)


def test_backprop_gradients_match_symbolic_gradients_of_the_cost():
    """Every dW, db and δ of Network.backprop (batch mean, L2 on) against SymPy's gradient."""
    m, lam, sizes = 2, 0.7, [2, 3, 2]  # small: the symbolic cost grows fast with the sizes
    rng = np.random.default_rng(7)
    net = Network(sizes, hidden="sigmoid", output="sigmoid", loss="cross_entropy", seed=3)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = rng.normal(size=(m, sizes[0]))
    Y = (rng.random((m, sizes[-1])) > 0.5).astype(float)

    Ws, bs = small_network_symbols(sizes)
    params = [s for M in Ws + bs for s in M]
    values = ([float(x) for W in net.weights for x in W.ravel()]
              + [float(x) for b in net.biases for x in b.ravel()])
    cost = 0
    for i in range(m):
        a = sp.Matrix(X[i])
        for l, (W, b) in enumerate(zip(Ws, bs)):
            a = (W * a + b).applyfunc(sigmoid_expr)
        cost += -sum(Y[i, k] * sp.log(a[k]) + (1 - Y[i, k]) * sp.log(1 - a[k])
                     for k in range(sizes[-1]))
    cost = cost / m + sp.Rational(1, 2) * lam / m * sum(w ** 2 for W in Ws for w in W)
    grad = numeric(sp.Matrix([sp.diff(cost, s) for s in params]), params, values).ravel()

    trace = net.backprop(X, Y, lam=lam)
    got = np.concatenate([dW.ravel() for dW in trace.dW] + [db.ravel() for db in trace.db])
    np.testing.assert_allclose(got, grad, rtol=1e-9, atol=ATOL)
    np.testing.assert_allclose(net.cost(X, Y, lam), float(numeric(cost, params, values)),
                               rtol=1e-12)


# ---------------------------------------------------------------- L2 gradient
def test_l2_penalty_gradient_is_lambda_over_m_times_w():
    lam, m = sp.symbols("lambda m", positive=True)
    W = sp.Matrix(2, 3, lambda j, k: sp.Symbol(f"w_{j}{k}", real=True))
    penalty = lam / (2 * m) * sum(w ** 2 for w in W)
    grad = W.applyfunc(lambda w: sp.diff(penalty, w))
    assert sp.simplify(grad - lam / m * W) == sp.zeros(2, 3)

    rng = np.random.default_rng(8)
    W_num, lam_num, m_num = rng.normal(size=(2, 3)), 0.3, 5
    subs = [lam, m, *W]
    vals = [lam_num, m_num, *W_num.ravel()]
    np.testing.assert_allclose(regularization.l2_gradient(W_num, lam_num, m_num),
                               numeric(grad, subs, vals), rtol=RTOL)
    np.testing.assert_allclose(regularization.l2_penalty([W_num], lam_num, m_num),
                               float(numeric(penalty, subs, vals)), rtol=RTOL)

    # in the network: the penalty adds λ/m W to every dW and nothing to any db
    net = Network([3, 4, 2], seed=2)
    X = rng.normal(size=(m_num, 3))
    Y = rng.random((m_num, 2))
    dW0, db0 = net.gradients(X, Y, 0.0)
    dW, db = net.gradients(X, Y, lam_num)
    for l, Wl in enumerate(net.weights):
        np.testing.assert_allclose(dW[l] - dW0[l], lam_num / m_num * Wl, rtol=1e-9, atol=ATOL)
        np.testing.assert_array_equal(db[l], db0[l])
