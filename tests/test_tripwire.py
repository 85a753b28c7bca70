"""An exercise is passed only by doing it: library calls tripped, changed inputs named,
answers judged by what they are (issue 15 items 1, 3, 4, 5) — in the check cell and in
the grader's harness alike."""

from __future__ import annotations

import collections
import copy
import threading

import numpy as np
import pytest

import bp_lib
import bp_lib._tripwire as tw
from bp_lib import activations, losses
from bp_lib.delta import hidden_delta as bound_early          # bound before any check runs
from bp_lib.exercises import all_exercises, check, get
from bp_lib.grading import harness
from bp_lib.grading.kernel import decode_answers

pytestmark = pytest.mark.tripwire


def _sig(Z):
    return activations.sigmoid(Z) * (1 - activations.sigmoid(Z))


# ------------------------------------------------------------------ library calls
LIBRARY_ANSWERS = {
    "mse_cost": (lambda A, Y: losses.mse(A, Y), "losses.mse"),
    "softmax_cross_entropy_from_logits":
        (lambda Z, Y: losses.softmax_cross_entropy_from_logits(Z, Y),
         "losses.softmax_cross_entropy_from_logits"),
    "output_delta_mse": (lambda Z, A, Y: bp_lib.delta.output_delta_mse(A, Y, Z, "sigmoid"),
                         "delta.output_delta_mse"),
    "hidden_delta": (lambda d, W, Z: bound_early(d, W, Z, "tanh"), "delta.hidden_delta"),
    "backprop": (lambda X, Y, weights, biases, lam: _via_network(X, Y, weights, biases, lam),
                 "Network."),
}


def _via_network(X, Y, weights, biases, lam):
    sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
    net = bp_lib.Network(sizes, hidden="sigmoid", output="softmax", loss="softmax_cross_entropy")
    net.weights, net.biases = [W.copy() for W in weights], [b.copy() for b in biases]
    return net.gradients(X, Y, lam=lam)


@pytest.mark.parametrize("ex_id", sorted(LIBRARY_ANSWERS))
def test_the_librarys_answer_is_refused_and_named(ex_id):
    answer, name = LIBRARY_ANSWERS[ex_id]
    result = check(ex_id, answer)
    assert not result and result.mistake == "library_call", result.message
    assert f"bp_lib.{name}" in result.message and "write the formula yourself" in result.message


def test_every_reference_that_uses_the_library_is_refused_as_an_answer():
    """A learner who copies the library's implementation by calling it gets a named refusal,
    for every exercise whose reference calls one of the library's answers."""
    tripped = []
    for ex in all_exercises():
        args = ex.cases(np.random.default_rng(0))[0]
        with tw.tripwire(ex.allowed) as called:
            try:
                ex.reference(*copy.deepcopy(args))
            except tw.LibraryCall:
                pass
        if called:
            tripped.append(ex.id)
            result = check(ex.id, ex.reference)
            assert result.mistake == "library_call", (ex.id, result.message)
    assert len(tripped) >= 6, tripped


def test_a_caught_tripwire_is_still_named():
    def sly(A, Y):
        try:
            return losses.mse(A, Y)
        except BaseException:            # noqa: BLE001 — what a learner might write
            return 0.5 * np.mean(np.sum((A - Y) ** 2, axis=1))
    result = check("mse_cost", sly)
    assert result.mistake == "library_call", result.message


def test_allowed_functions_work_and_use_the_rest_of_the_library():
    net = bp_lib.Network([3, 4, 2], seed=0)
    X, Y = np.random.default_rng(1).random((5, 3)), np.random.default_rng(2).random((5, 2))
    expected = net.gradients(X, Y)
    with tw.tripwire(("Network.gradients",)):
        got = net.gradients(X, Y)
        with pytest.raises(tw.LibraryCall, match="Network.forward"):
            net.forward(X)
    np.testing.assert_array_equal(got[0][0], expected[0][0])


def test_everything_is_restored_even_after_an_exception():
    A, Y = np.ones((3, 2)), np.zeros((3, 2))
    before = losses.mse(A, Y)
    with pytest.raises(RuntimeError):
        with tw.tripwire():
            raise RuntimeError("learner code blew up")
    assert np.array_equal(losses.mse(A, Y), before)
    assert bound_early.__code__.co_name == "hidden_delta" and "tripwire" not in bound_early.__code__.co_filename
    assert check("mse_cost", lambda A, Y: 0.5 * np.mean(np.sum((A - Y) ** 2, axis=1)))


def test_other_threads_keep_the_library_while_one_is_judged():
    """A widget redrawing in its thread while a check cell runs must not break."""
    A, Y = np.ones((3, 2)), np.zeros((3, 2))
    seen = []
    with tw.tripwire():
        t = threading.Thread(target=lambda: seen.append(losses.mse(A, Y)))
        t.start()
        t.join()
        with pytest.raises(tw.LibraryCall):
            losses.mse(A, Y)
    assert len(seen) == 1 and np.array_equal(seen[0], losses.mse(A, Y))


# ------------------------------------------------------------------ changed inputs
def _in_place_delta(Z, A, Y):
    A -= Y                                  # the caller's A is changed
    return A * _sig(Z)


def test_an_answer_that_changes_its_inputs_is_named():
    assert check("output_delta_mse", lambda Z, A, Y: (A - Y) * _sig(Z))      # the right answer
    result = check("output_delta_mse", _in_place_delta)
    assert not result and result.mistake == "changed_input", result.message
    assert "`A` in place" in result.message


def test_popping_the_callers_list_is_named():
    reference = get("forward_pass").reference           # written without the library

    def popper(X, weights, biases, f_hidden, f_output):
        out = reference(X, list(weights), list(biases), f_hidden, f_output)
        weights.pop()
        return out
    assert check("forward_pass", lambda *a: reference(*a))
    result = check("forward_pass", popper)
    assert result.mistake == "changed_input" and "`weights`" in result.message, result.message


def test_a_training_step_may_change_its_network_only():
    ex = get("one_epoch")
    assert ex.may_change == (0,)

    def also_changes_X(net, X, Y, eta, lam, batch_size, seed):
        out = _one_epoch_by_hand(net, X.copy(), Y, eta, lam, batch_size, seed)
        X[0, 0] += 1.0
        return out
    assert check("one_epoch", _one_epoch_by_hand)
    result = check("one_epoch", also_changes_X)
    assert result.mistake == "changed_input" and "`X`" in result.message, result.message


def _one_epoch_by_hand(net, X, Y, eta, lam, batch_size, seed):
    n = len(X)
    order = np.arange(n) if batch_size is None else np.random.default_rng(seed).permutation(n)
    k = n if batch_size is None else batch_size
    for start in range(0, n, k):
        idx = order[start:start + k]
        dW, db = net.gradients(X[idx], Y[idx])
        for l in range(net.n_layers):
            net.weights[l] = net.weights[l] - eta * (dW[l] + lam / n * net.weights[l])
            net.biases[l] = net.biases[l] - eta * db[l]
    return net.weights, net.biases


# ------------------------------------------------------------------ the grader's harness agrees
def _harness_verdict(ex_id, fn, seed=7):
    ex = get(ex_id)
    from bp_lib.exercises.core import argument_names, evaluate
    cases = ex.cases(np.random.default_rng(seed))
    answers = [harness.call(fn, args, 10, ex.allowed, ex.may_change, argument_names(ex.signature))
               for args in cases]
    import json
    decoded = decode_answers(json.dumps({ex_id: {"cases": answers}}))[ex_id]["cases"]
    it = iter(decoded)
    return evaluate(ex, lambda args: next(it), seed)


def test_the_grader_refuses_and_names_the_same_answers():
    answer, name = LIBRARY_ANSWERS["hidden_delta"]
    assert _harness_verdict("hidden_delta", answer).mistake == "library_call"
    assert _harness_verdict("output_delta_mse", _in_place_delta).mistake == "changed_input"
    assert _harness_verdict("output_delta_mse", lambda Z, A, Y: (A - Y) * _sig(Z))


# ------------------------------------------------------------------ answers judged by meaning
Pair = collections.namedtuple("Pair", "W b")


class MyList(list):
    pass


class MyFloat(float):
    pass


def _mse(A, Y):
    return 0.5 * np.mean(np.sum((A - Y) ** 2, axis=1))


@pytest.mark.parametrize("wrap", [np.asarray, MyFloat, np.float64], ids=["0-d array", "float subclass",
                                                                           "numpy scalar"])
def test_a_number_in_another_dress_is_a_number(wrap):
    fn = lambda A, Y: wrap(_mse(A, Y))                         # noqa: E731
    assert check("mse_cost", fn)
    assert _harness_verdict("mse_cost", fn)


def test_a_namedtuple_and_a_list_subclass_are_a_tuple_and_a_list():
    reference = get("collapse_linear").reference        # (W, b), written without the library
    as_pair = lambda weights, biases: Pair(*reference(weights, biases))      # noqa: E731
    as_mylist = lambda weights, biases: MyList(reference(weights, biases))   # noqa: E731
    for fn in (as_pair, as_mylist):
        assert check("collapse_linear", fn), check("collapse_linear", fn).message
        assert _harness_verdict("collapse_linear", fn)


def test_float32_is_named():
    fn = lambda A, Y: np.float32(_mse(A, Y) + 1e-3)             # noqa: E731
    result = check("mse_cost", fn)
    assert not result and "float32" in result.message, result.message
    assert "float32" in _harness_verdict("mse_cost", fn).message
    arr = lambda Z, A, Y: ((A - Y) * _sig(Z)).astype(np.float32) + np.float32(1e-3)   # noqa: E731
    assert "float32" in check("output_delta_mse", arr).message


# ------------------------------------------------------------------ hints only where they apply
def test_the_transpose_hint_needs_a_weight_matrix():
    bad = lambda A, Y: (A - Y.T).sum()                           # noqa: E731  broadcast error
    result = check("mse_cost", bad)
    assert "Wᵀ" not in result.message and "shapes do not fit" in result.message, result.message
    wrong = lambda d, W, Z: (d @ W.T) * (1 - np.tanh(Z) ** 2)     # noqa: E731  W vs Wᵀ
    assert "Wᵀ" in check("hidden_delta", wrong).message


# ------------------------------------------------------------------ a whole grading run (trusted)
def test_a_graded_notebook_that_calls_the_library_scores_zero_and_says_why(tmp_path):
    """Without the sandbox (``--trusted``) the library is all there: the tripwire refuses it."""
    import io

    import nbformat

    from bp_lib.grading.grader import grade
    cells = ["import numpy as np\nimport bp_lib",
             "def hidden_delta(delta_next, W_next, Z):\n"
             "    return bp_lib.delta.hidden_delta(delta_next, W_next, Z, 'tanh')",
             "def mse_cost(A, Y):\n    return 0.5 * np.mean(np.sum((A - Y) ** 2, axis=1))"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "class" / "ana" / "answers.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    book = grade([tmp_path / "class"], out=tmp_path / "book", jobs=1, timeout=30,
                 log=io.StringIO(), trusted=True)
    rows = {r["exercise"]: r for r in book.rows() if r["exercise"] in ("hidden_delta", "mse_cost")}
    assert rows["hidden_delta"]["points"] == 0
    assert "calls bp_lib.delta.hidden_delta" in rows["hidden_delta"]["feedback"], rows
    assert rows["mse_cost"]["points"] == rows["mse_cost"]["max_points"] > 0, rows


def test_the_grader_judges_the_check_cells_cases_first():
    """An answer right on the check cell's cases but wrong elsewhere fails the grader only on
    the extra cases; an answer that fails the check cell fails the grader on the same case."""
    from bp_lib.exercises.core import _default_seed, graded_cases
    ex = get("mse_cost")
    seen = ex.cases(np.random.default_rng(_default_seed(ex.id)))
    for seed in (1, 2, 3):
        cases = graded_cases(ex, seed)
        assert len(cases) == 2 * ex.trials
        for a, b in zip(cases[:ex.trials], seen):
            np.testing.assert_array_equal(a[0], b[0])
        assert not np.array_equal(cases[ex.trials][0], seen[0][0])


def test_a_correct_but_very_slow_answer_is_told_so():
    import time

    def slow(A, Y):
        time.sleep(0.6)
        return _mse(A, Y)
    result = check("mse_cost", slow)
    assert result and "slow" in result.message and "vectorise" in result.message
    assert "slow" not in check("mse_cost", _mse).message


def _shapes(x):
    if isinstance(x, np.ndarray):
        return x.shape
    if isinstance(x, (list, tuple)):
        return tuple(_shapes(e) for e in x)
    if isinstance(x, bp_lib.Network):
        return tuple(x.sizes)
    return None


@pytest.mark.parametrize("ex", all_exercises(), ids=lambda e: e.id)
def test_the_trials_of_one_check_vary_the_shapes(ex):
    """An answer with hard-coded sizes (m = 5, three layers written out) must meet another
    shape within the same check (issue 15 item 2)."""
    for seed in (0, 1):
        shapes = {str(_shapes(case)) for case in ex.cases(np.random.default_rng(seed))}
        assert len(shapes) > 1, (ex.id, shapes)


def test_copying_or_pickling_a_network_inside_a_judged_function_is_not_a_library_call():
    import copy as copy_module
    import pickle
    net = bp_lib.Network([3, 4, 2], seed=0)
    net.gradients(np.ones((2, 3)), np.full((2, 2), 0.5))        # the network now keeps arrays
    with tw.tripwire(()) as called:
        twin = copy_module.deepcopy(net)
        again = pickle.loads(pickle.dumps(net))
    assert not called
    assert np.array_equal(twin.weights[0], net.weights[0]) and again.sizes == net.sizes
