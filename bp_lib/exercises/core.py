"""The exercise registry and the instant-feedback checker.

An :class:`Exercise` knows everything needed to judge a learner's function
without trusting the notebook it came from: how to draw fresh random inputs
(non-square shapes, so a missing transpose cannot pass), the reference
answer, and the answers that common mistakes produce.  :func:`check` runs the
learner's function on such inputs and returns a :class:`CheckResult` whose
text is the verdict and whose truth value is pass/fail.  It never raises
because of what the learner's function did.
"""

from __future__ import annotations

import copy
import inspect
import re
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

#: Every exercise of the course, by id (filled in by the chapter modules).
REGISTRY: dict = {}

RTOL = 1e-6
ATOL = 1e-9


@dataclass(frozen=True)
class Mistake:
    """A recognised wrong answer.

    ``wrong(*args)`` returns what the mistake gives; an answer equal to it is
    named.  A mistake that makes the learner's code *raise* on non-square
    shapes (a missing transpose in a matrix product usually does) is
    recognised instead by ``raises``, a regular expression searched in the
    exception's ``"TypeName: message"``.  A mistake whose symptom is an
    overflow (a naive softmax, a log of 0) sets ``nonfinite=True``: an answer
    with NaN or infinity where the reference is finite is then named.
    """

    name: str
    hint: str
    wrong: Callable | None = None
    raises: str | None = None
    nonfinite: bool = False     # named when the answer has NaN/inf and the reference has none


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    id : also the name of the function the learner defines in the notebook.
    chapter : chapter number (1–6; 7 for the appendix).
    points : what it is worth.
    signature : the function's signature as the learner sees it, e.g.
        ``"output_delta_mse(Z, A, Y, fprime)"``.
    summary : one line: what to compute.
    make_inputs : ``rng -> tuple`` of positional arguments (fresh, random);
        ``(rng, trial) -> tuple`` when the case should depend on its number
        (e.g. one mode per trial, so every check covers them all).
    reference : the correct function, same signature.
    mistakes : recognised wrong answers, tried in order.
    rtol, atol : tolerances of the comparison.
    trials : how many random cases one check runs.
    """

    id: str
    chapter: int
    points: int
    signature: str
    summary: str
    make_inputs: Callable
    reference: Callable
    mistakes: tuple = ()
    rtol: float = RTOL
    atol: float = ATOL
    trials: int = 3

    def cases(self, rng):
        """The ``trials`` argument tuples one check draws from ``rng``, in order."""
        takes_trial = "trial" in inspect.signature(self.make_inputs).parameters
        return [self.make_inputs(rng, trial) if takes_trial else self.make_inputs(rng)
                for trial in range(self.trials)]


def register(exercise: Exercise) -> Exercise:
    if exercise.id in REGISTRY:
        raise ValueError(f"exercise id {exercise.id!r} is registered twice")
    REGISTRY[exercise.id] = exercise
    return exercise


def get(exercise_id) -> Exercise:
    from . import _load_all

    _load_all()
    if not isinstance(exercise_id, str) or exercise_id not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown exercise id {exercise_id!r}; known ids: {known}")
    return REGISTRY[exercise_id]


@dataclass
class CheckResult:
    """The verdict on one exercise; ``bool(result)`` is pass/fail."""

    exercise_id: str
    passed: bool
    message: str
    mistake: str | None = None          # name of the recognised mistake, if any
    details: list = field(default_factory=list)

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message

    def require(self):
        """Raise ``AssertionError`` with the verdict unless passed (for autograders)."""
        if not self.passed:
            raise AssertionError(self.message)
        return self


# ----------------------------------------------------------------- compare
def compare(expected, actual, rtol=RTOL, atol=ATOL, where="the result"):
    """Return None when ``actual`` matches ``expected``, else a sentence saying how not.

    Handles arrays, numbers, and (nested) tuples/lists of them.  Never raises.
    """
    try:
        return _compare(expected, actual, rtol, atol, where)
    except Exception as exc:  # a learner's object with a broken __eq__, __array__, ...
        return f"{where} could not be compared ({type(exc).__name__}: {exc})"


def _compare(expected, actual, rtol, atol, where):
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)):
            return (f"{where} should be a {type(expected).__name__} of {len(expected)} items; "
                    f"got {_describe(actual)}")
        if len(actual) != len(expected):
            return f"{where} should have {len(expected)} items; got {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            problem = _compare(e, a, rtol, atol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (float, int, np.floating)) and not isinstance(expected, bool):
        if isinstance(actual, np.ndarray) and actual.shape == ():
            actual = actual[()]
        if isinstance(actual, bool) or not isinstance(actual, (int, float, np.integer, np.floating)):
            return f"{where} should be a number; got {_describe(actual)}"
        if not np.isfinite(actual):
            return f"{where} is {actual}: the computation produced NaN or infinity"
        if not np.isclose(actual, expected, rtol=rtol, atol=atol):
            return f"{where} is {float(actual):.6g}; expected {float(expected):.6g}"
        return None
    expected = np.asarray(expected)
    if not isinstance(actual, np.ndarray):
        if isinstance(actual, (list, tuple)) or np.isscalar(actual):
            try:
                actual = np.asarray(actual, dtype=np.float64)
            except (TypeError, ValueError):
                return f"{where} should be a numpy array of shape {expected.shape}; got {_describe(actual)}"
        else:
            return f"{where} should be a numpy array of shape {expected.shape}; got {_describe(actual)}"
    if actual.shape != expected.shape:
        hint = ""
        if actual.shape == expected.shape[::-1] and actual.ndim == 2:
            hint = " — transposed? (examples are rows in this course)"
        elif actual.size == expected.size:
            hint = " — same numbers of entries, different shape: check how you reshape or sum"
        return f"{where} has shape {actual.shape}; expected {expected.shape}{hint}"
    if not np.issubdtype(actual.dtype, np.number) or np.issubdtype(actual.dtype, np.complexfloating):
        return f"{where} has dtype {actual.dtype}; expected real numbers"
    if not np.all(np.isfinite(actual)):
        return f"{where} contains NaN or infinity"
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        err = np.abs(actual - expected)
        i = np.unravel_index(np.argmax(err), err.shape)
        return (f"{where} differs from the expected values (largest difference "
                f"{float(err[i]):.3g} at index {tuple(int(k) for k in i)}: got "
                f"{float(actual[i]):.6g}, expected {float(expected[i]):.6g})")
    return None


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if x is None:
        return "None (did you forget to `return` the result?)"
    return f"{type(x).__name__}"


def _is_negated(expected, actual, rtol, atol):
    try:
        return compare(_negate(expected), actual, rtol, atol) is None and \
            compare(expected, actual, rtol, atol) is not None
    except Exception:
        return False


def _negate(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_negate(e) for e in x)
    return -np.asarray(x)


# ----------------------------------------------------------------- check
def evaluate(exercise: Exercise, outputs_for, seed):
    """Judge answers for ``exercise`` on ``exercise.trials`` random cases.

    ``outputs_for(args)`` must return ``("ok", value)`` or ``("error", text)``
    for the learner's answer on ``args``.  Used by :func:`check` (in-process)
    and by the grader (answers computed in another process).
    """
    for args in exercise.cases(np.random.default_rng(seed)):
        expected = exercise.reference(*copy.deepcopy(args))
        status, value = outputs_for(args)
        if status == "error":
            for mistake in exercise.mistakes + GENERIC_ERROR_MISTAKES:
                if mistake.raises and re.search(mistake.raises, value):
                    return _fail(exercise, f"{value}\nLikely mistake — {mistake.hint}",
                                 mistake.name)
            return _fail(exercise, value)
        problem = compare(expected, value, exercise.rtol, exercise.atol)
        if problem is None:
            continue
        if _has_nonfinite(value) and not _has_nonfinite(expected):
            for mistake in exercise.mistakes:
                if mistake.nonfinite:
                    return _fail(exercise, f"{problem}.\nLikely mistake — {mistake.hint}",
                                 mistake.name)
        for mistake in exercise.mistakes:
            if mistake.wrong is None:
                continue
            try:
                wrong = mistake.wrong(*copy.deepcopy(args))
            except Exception:
                continue
            if compare(wrong, value, exercise.rtol, exercise.atol) is None:
                return _fail(exercise, f"{problem}.\nLikely mistake — {mistake.hint}",
                             mistake.name)
        if _is_negated(expected, value, exercise.rtol, exercise.atol):
            return _fail(exercise, f"{problem}.\nLikely mistake — the sign is flipped: every "
                                   "value is the negative of the expected one.", "sign_flipped")
        shapes = ", ".join(_shape_text(a) for a in args)
        return _fail(exercise, f"{problem}.\n(Inputs of this case: {shapes}.)")
    return CheckResult(exercise.id, True,
                       f"✔ {exercise.id}: correct on {exercise.trials} random cases "
                       f"({exercise.points} point{'s' if exercise.points != 1 else ''}).")


#: Recognised for every exercise: a matrix product whose inner sizes do not match.
GENERIC_ERROR_MISTAKES = (
    Mistake("shape_mismatch_in_product",
            "a matrix product got operands whose inner sizes do not match. Check each "
            "product's shapes on paper: examples are rows, W⁽ˡ⁾ is (s_l, s_(l-1)), and the "
            "row form of Wᵀδ is δ @ W: a W where Wᵀ belongs (or the reverse) shows up here.",
            raises=r"(matmul|not aligned|could not be broadcast|operands could not)"),
)


def _has_nonfinite(x):
    """True when x (an array, a number, or nested lists/tuples of them) holds NaN or inf."""
    try:
        if isinstance(x, (tuple, list)):
            return any(_has_nonfinite(e) for e in x)
        arr = np.asarray(x)
        return np.issubdtype(arr.dtype, np.number) and not np.all(np.isfinite(arr))
    except Exception:
        return False


def _shape_text(a):
    if isinstance(a, np.ndarray):
        return f"array {a.shape}"
    if isinstance(a, (list, tuple)):
        return f"{type(a).__name__} of {len(a)}"
    return repr(a)


def _fail(exercise, text, mistake=None):
    return CheckResult(exercise.id, False, f"✘ {exercise.id}: {text}", mistake)


def run_learner(fn, args):
    """Call ``fn(*args)`` on copies of ``args``; return ``("ok", value)`` or ``("error", text)``."""
    try:
        with np.errstate(all="ignore"):
            return "ok", fn(*copy.deepcopy(args))
    except NotImplementedError:
        return "error", ("not implemented yet — replace `raise NotImplementedError()` with "
                         "your code, run that cell, then this one.")
    except (Exception, SystemExit) as exc:  # the learner's code raised (or called exit()): report it
        tb = traceback.extract_tb(exc.__traceback__)
        where = ""
        for frame in reversed(tb):
            if "bp_lib" not in frame.filename:
                code = (frame.line or "").strip()
                where = f" (line {frame.lineno}" + (f": `{code}`)" if code else ")")
                break
        return "error", f"your function raised {type(exc).__name__}: {exc}{where}"


def check(exercise_id, fn, seed=None):
    """Run the learner's ``fn`` against exercise ``exercise_id`` and return the verdict.

    ``seed`` picks the random cases; by default a fixed one per exercise, so
    a notebook shows the same verdict every run; ``seed="fresh"`` draws new
    cases every call (what autograders use).  Never raises because of
    ``fn``: exceptions, wrong types, wrong shapes and NaN become messages.
    """
    try:
        exercise = get(exercise_id)
    except ValueError as exc:
        return CheckResult(str(exercise_id), False, f"✘ {exc}")
    if not callable(fn):
        return _fail(exercise, f"expected the function `{exercise.signature}`; got "
                               f"{_describe(fn)}. Pass the function itself, without calling it.")
    if seed is None:
        seed = _default_seed(exercise.id)
    elif isinstance(seed, str) and seed == "fresh":
        seed = np.random.SeedSequence().entropy
    return evaluate(exercise, lambda args: run_learner(fn, args), seed)


def _default_seed(exercise_id):
    return sum(ord(c) * 31 ** i for i, c in enumerate(exercise_id)) % (2 ** 32)
