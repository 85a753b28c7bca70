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
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..i18n import tr, translate_text

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
    allowed : library functions the answer may call (``"Network.gradients"``); every other
        answer of the library trips while the answer runs (:mod:`bp_lib._tripwire`).
    may_change : indices of the arguments the answer is meant to change (a training step
        updates its network); a change to any other argument is named.
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
    allowed: tuple = ()
    may_change: tuple = ()

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
def compare(expected, actual, rtol=RTOL, atol=ATOL, where=None):
    """Return None when ``actual`` matches ``expected``, else a sentence saying how not.

    Handles arrays, numbers, and (nested) tuples/lists of them.  Never raises.  The sentence
    is in the language of :func:`bp_lib.set_language`.
    """
    if where is None:
        where = tr("the result")
    try:
        return _compare(expected, actual, rtol, atol, where)
    except Exception as exc:  # a learner's object with a broken __eq__, __array__, ...
        return tr("{where} could not be compared ({error})", where=where,
                  error=f"{type(exc).__name__}: {exc}")


def _compare(expected, actual, rtol, atol, where):
    if expected is None:                   # only a planted mistake's output has None in it
        return None if actual is None else tr("{where} should be None; got {got}", where=where,
                                              got=_describe(actual))
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)):
            return tr("{where} should be a {kind} of {n} items; got {got}", where=where,
                      kind=type(expected).__name__, n=len(expected), got=_describe(actual))
        if len(actual) != len(expected):
            return tr("{where} should have {n} items; got {got}", where=where, n=len(expected),
                      got=len(actual))
        for i, (e, a) in enumerate(zip(expected, actual)):
            problem = _compare(e, a, rtol, atol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, (float, int, np.floating)) and not isinstance(expected, bool):
        if isinstance(actual, np.ndarray) and actual.shape == ():
            actual = actual[()]
        if isinstance(actual, bool) or not isinstance(actual, (int, float, np.integer, np.floating)):
            return tr("{where} should be a number; got {got}", where=where, got=_describe(actual))
        if not np.isfinite(actual):
            return tr("{where} is {value}: the computation produced NaN or infinity",
                      where=where, value=actual)
        if not np.isclose(actual, expected, rtol=rtol, atol=atol):
            return (tr("{where} is {got}; expected {expected}", where=where,
                       got=f"{float(actual):.6g}", expected=f"{float(expected):.6g}")
                    + _low_precision(actual))
        return None
    expected = np.asarray(expected)
    if not isinstance(actual, np.ndarray):
        if isinstance(actual, (list, tuple)) or np.isscalar(actual):
            try:
                actual = np.asarray(actual, dtype=np.float64)
            except (TypeError, ValueError):
                return tr("{where} should be a numpy array of shape {shape}; got {got}",
                          where=where, shape=expected.shape, got=_describe(actual))
        else:
            return tr("{where} should be a numpy array of shape {shape}; got {got}",
                      where=where, shape=expected.shape, got=_describe(actual))
    if actual.shape != expected.shape:
        hint = ""
        if actual.shape == expected.shape[::-1] and actual.ndim == 2:
            hint = tr(" — transposed? (examples are rows in this course)")
        elif actual.size == expected.size:
            hint = tr(" — same numbers of entries, different shape: check how you reshape or sum")
        return tr("{where} has shape {shape}; expected {expected}", where=where,
                  shape=actual.shape, expected=expected.shape) + hint
    if not np.issubdtype(actual.dtype, np.number) or np.issubdtype(actual.dtype, np.complexfloating):
        return tr("{where} has dtype {dtype}; expected real numbers", where=where, dtype=actual.dtype)
    if not np.all(np.isfinite(actual)):
        return tr("{where} contains NaN or infinity", where=where)
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        err = np.abs(actual - expected)
        i = np.unravel_index(np.argmax(err), err.shape)
        return (tr("{where} differs from the expected values (largest difference {diff} at "
                   "index {index}: got {got}, expected {expected})", where=where,
                   diff=f"{float(err[i]):.3g}", index=tuple(int(k) for k in i),
                   got=f"{float(actual[i]):.6g}", expected=f"{float(expected[i]):.6g}")
                + _low_precision(actual))
    return None


def _low_precision(actual):
    """The reason when an answer was computed in float32 (or float16)."""
    dtype = getattr(actual, "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        return tr(" — computed in {dtype}: use float64 (the default of numpy's arrays); "
                  "gradients and their checks need the precision", dtype=dtype.name)
    return ""


def _describe(x):
    if isinstance(x, np.ndarray):
        return tr("an array of shape {shape}", shape=x.shape)
    if x is None:
        return tr("None (did you forget to `return` the result?)")
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
def graded_cases(exercise: Exercise, seed):
    """What the grader judges: the check cell's own cases first (the exercise's default seed),
    then ``trials`` fresh ones from ``seed`` — so an answer that passes the check cell can fail
    the grader only on cases the learner has not seen."""
    return (exercise.cases(np.random.default_rng(_default_seed(exercise.id)))
            + exercise.cases(np.random.default_rng(seed)))


def evaluate(exercise: Exercise, outputs_for, seed, cases=None):
    """Judge answers for ``exercise`` on ``cases`` (default: ``exercise.trials`` random cases
    drawn from ``seed``).

    ``outputs_for(args)`` must return ``("ok", value)`` or ``("error", text)``
    for the learner's answer on ``args``.  Used by :func:`check` (in-process)
    and by the grader (answers computed in another process).
    """
    if cases is None:
        cases = exercise.cases(np.random.default_rng(seed))
    slowest = (0.0, 0.0)                       # (the answer's seconds, the reference's)
    for args in cases:
        t0 = time.perf_counter()
        expected = exercise.reference(*copy.deepcopy(args))
        t1 = time.perf_counter()
        status, value = outputs_for(args)
        t2 = time.perf_counter()
        if t2 - t1 > slowest[0]:
            slowest = (t2 - t1, t1 - t0)
        if status == "error":
            # The answer's error is worded in English wherever it was run (here, or in the
            # grader's kernel); it is recognised in English, then shown in the reader's language.
            for name, start in (("library_call", LIBRARY_CALL), ("changed_input", CHANGED_INPUT)):
                if value.startswith(start):
                    return _fail(exercise, translate_text(value), name)
            for mistake in exercise.mistakes + _generic_error_mistakes(exercise, args):
                if mistake.raises and re.search(mistake.raises, value):
                    return _fail(exercise, _likely(translate_text(value), mistake.hint, ""),
                                 mistake.name)
            return _fail(exercise, translate_text(value))
        problem = compare(expected, value, exercise.rtol, exercise.atol)
        if problem is None:
            continue
        if _has_nonfinite(value) and not _has_nonfinite(expected):
            for mistake in exercise.mistakes:
                if mistake.nonfinite:
                    return _fail(exercise, _likely(problem, mistake.hint), mistake.name)
        for mistake in exercise.mistakes:
            if mistake.wrong is None:
                continue
            try:
                wrong = mistake.wrong(*copy.deepcopy(args))
            except Exception:
                continue
            if compare(wrong, value, exercise.rtol, exercise.atol) is None:
                return _fail(exercise, _likely(problem, mistake.hint), mistake.name)
        if _is_negated(expected, value, exercise.rtol, exercise.atol):
            return _fail(exercise, _likely(problem, "the sign is flipped: every value is the "
                                                    "negative of the expected one."), "sign_flipped")
        shapes = ", ".join(_shape_text(a) for a in args)
        return _fail(exercise, tr("{problem}.\n(Inputs of this case: {shapes}.)", problem=problem,
                                  shapes=shapes))
    note = ""
    if slowest[0] > SLOW_SECONDS and slowest[0] > SLOW_FACTOR * slowest[1]:
        note = tr(" But it is slow: {seconds} s for one case, {factor}× the reference — vectorise "
                  "over the examples (a loop over layers is fine, a loop over examples or entries "
                  "is not).", seconds=f"{slowest[0]:.2g}",
                  factor=f"{slowest[0] / max(slowest[1], 1e-9):.0f}")
    passed = ("✔ {id}: correct on {n} random cases ({points} point)." if exercise.points == 1
              else "✔ {id}: correct on {n} random cases ({points} points).")
    return CheckResult(exercise.id, True,
                       tr(passed, id=exercise.id, n=len(cases), points=exercise.points) + note)


def _likely(problem, hint, stop="."):
    """A failed case's problem, then the recognised mistake's hint (both in the reader's language)."""
    return tr("{problem}{stop}\nLikely mistake — {hint}", problem=problem, stop=tr(stop),
              hint=tr(hint))


#: A correct answer slower than both of these (per case) is passed with a word about speed.
SLOW_SECONDS = 0.5
SLOW_FACTOR = 100


#: How the check and the grader's harness word the two refusals every exercise shares.
LIBRARY_CALL = "your function calls bp_lib."
CHANGED_INPUT = "your function changed its argument"

_SHAPE_ERROR = r"(matmul|not aligned|could not be broadcast|operands could not)"

#: Recognised for an exercise that takes weight matrices: a matrix product whose inner
#: sizes do not match — where a W in place of Wᵀ (or the reverse) shows up.
GENERIC_ERROR_MISTAKES = (
    Mistake("shape_mismatch_in_product",
            "a matrix product got operands whose inner sizes do not match. Check each "
            "product's shapes on paper: examples are rows, W⁽ˡ⁾ is (s_l, s_(l-1)), and the "
            "row form of Wᵀδ is δ @ W: a W where Wᵀ belongs (or the reverse) shows up here.",
            raises=_SHAPE_ERROR),
)


def _takes_weights(exercise):
    params = re.findall(r"\w+", exercise.signature.partition("(")[2])
    return any(p.startswith(("W", "weights", "net", "theta")) for p in params)


def _generic_error_mistakes(exercise, args):
    """The transpose hint where there are weights; elsewhere, the shapes actually involved."""
    shapes = ", ".join(_shape_text(a) for a in args)
    if _takes_weights(exercise) and exercise.chapter >= 3:
        return GENERIC_ERROR_MISTAKES
    if _takes_weights(exercise):        # chapters 1-2: no δ yet, so the hint speaks of the forward pass
        return (Mistake("shape_mismatch_forward",
                        tr(SHAPE_MISMATCH_FORWARD, shapes=shapes), raises=_SHAPE_ERROR),)
    return (Mistake("shape_mismatch", tr(SHAPE_MISMATCH, shapes=shapes), raises=_SHAPE_ERROR),)


SHAPE_MISMATCH_FORWARD = (
    "two arrays whose shapes do not fit were combined (a matrix product, or a sum that "
    "broadcasts). Examples are rows: A_prev is (m, s_(l-1)) and W⁽ˡ⁾ is (s_l, s_(l-1)), so "
    "Z = A_prev @ W.T + b is (m, s_l), and b, shape (s_l,), is added to every row. The inputs "
    "were: {shapes}.")
SHAPE_MISMATCH = (
    "two arrays whose shapes do not fit were combined (a product, or an element-wise operation "
    "that broadcasts). The inputs were: {shapes}; print the shape of each array in the failing "
    "line (a sum without keepdims=True loses an axis; examples are rows).")


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
        return tr("array {shape}", shape=a.shape)
    if isinstance(a, (list, tuple)):
        return tr("{kind} of {n}", kind=type(a).__name__, n=len(a))
    if isinstance(a, (float, np.floating)):
        return f"{float(a):.4g}"
    return repr(a)


def _fail(exercise, text, mistake=None):
    return CheckResult(exercise.id, False, tr("✘ {id}: {text}", id=exercise.id, text=text), mistake)


def run_learner(fn, args, allowed=(), may_change=(), names=None):
    """Call ``fn(*args)`` on copies of ``args`` with the library's answers tripped
    (:mod:`bp_lib._tripwire`); return ``("ok", value)`` or ``("error", text)``: also when the
    function called the library's answer or changed an argument it was not meant to."""
    from .._tripwire import LibraryCall, tripwire
    from .._validate import changed_argument

    given = copy.deepcopy(args)
    called = []
    try:
        with np.errstate(all="ignore"), tripwire(allowed) as called:
            value = fn(*given)
    except LibraryCall as exc:
        return "error", str(exc)
    except NotImplementedError:
        return "error", NOT_IMPLEMENTED
    except (Exception, SystemExit) as exc:  # the learner's code raised (or called exit()): report it
        if called:
            return "error", str(LibraryCall(called[0]))
        tb = traceback.extract_tb(exc.__traceback__)
        where = ""
        for frame in reversed(tb):
            if "bp_lib" not in frame.filename:
                code = (frame.line or "").strip()
                where = f" (line {frame.lineno}" + (f": `{code}`)" if code else ")")
                break
        return "error", f"your function raised {type(exc).__name__}: {exc}{where}"  # RAISED_*
    if called:                         # it caught the tripwire's exception and went on
        return "error", str(LibraryCall(called[0]))
    kept = [k for k in range(len(args)) if k not in may_change]
    i = changed_argument([args[k] for k in kept], [given[k] for k in kept])
    if i is not None:
        return "error", changed_text(kept[i], names)
    return "ok", value


def changed_text(k, names=None):
    """The refusal for an answer that changed argument ``k`` in place."""
    name = f"`{names[k]}`" if names and k < len(names) else f"number {k + 1}"
    return CHANGED_TEXT.format(name=name)


NOT_IMPLEMENTED = ("not implemented yet — replace `raise NotImplementedError()` with your code, "
                   "run that cell, then this one.")
CHANGED_TEXT = (CHANGED_INPUT + " {name} in place (e.g. `A -= Y`, `dW[l] += …`, `.pop()`): "
                "compute a new array instead — the caller's arrays must stay as they were.")

#: How an answer's error is worded (in English, wherever the answer ran: here or in the
#: grader's kernel).  The checker recognises these, then shows them in the reader's language
#: (:func:`bp_lib.i18n.translate_text` matches them as patterns).
ERROR_TEMPLATES = (
    NOT_IMPLEMENTED,
    CHANGED_TEXT,
    "your function calls bp_lib.{name} — that is the library's answer; write the formula yourself",
    "your function raised {error} (line {line}: `{code}`)",
    "your function raised {error} (line {line})",
    "your function raised {error}",
)


def argument_names(signature):
    """``"f(Z, A, Y)"`` → ``["Z", "A", "Y"]``."""
    inside = signature.partition("(")[2].rpartition(")")[0]
    return [p.split("=")[0].strip().lstrip("*") for p in inside.split(",") if p.strip()]


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
        return _fail(exercise, tr("expected the function `{signature}`; got {got}. Pass the "
                                  "function itself, without calling it.",
                                  signature=exercise.signature, got=_describe(fn)))
    if seed is None:
        seed = _default_seed(exercise.id)
    elif isinstance(seed, str) and seed == "fresh":
        seed = np.random.SeedSequence().entropy
    names = argument_names(exercise.signature)
    return evaluate(exercise, lambda args: run_learner(fn, args, exercise.allowed,
                                                       exercise.may_change, names), seed)


def _default_seed(exercise_id):
    return sum(ord(c) * 31 ** i for i, c in enumerate(exercise_id)) % (2 ** 32)
