"""The grader's code that runs *inside* a learner's kernel.

The grader does not import this module in the kernel (the learner could have
patched ``bp_lib`` there); it writes this file's text next to the inputs and
runs it with ``exec`` in a namespace of its own, after the learner's cells.
So it uses only the standard library and numpy.

It reads the argument tuples the grader drew (a pickle written by the grader),
calls the learner's functions — looked up by exercise id in the notebook's
globals — on copies of them, each call under a time limit, and writes what
came back as JSON.  JSON, not pickle, on the way back: the answers are made by
code the grader does not trust, and unpickling can run code.  The verdict is
reached in the grader's process (:func:`bp_lib.exercises.evaluate`), never here.
"""

import base64
import copy
import json
import os
import pickle
import signal
import traceback

import numpy as np

MAX_ARRAY_BYTES = 16 * 2 ** 20      # larger answers are described, not copied
MAX_ITEMS = 1000                    # longest tuple/list copied item by item
MAX_DEPTH = 8

# The same words as bp_lib.exercises.core.NOT_IMPLEMENTED (this file imports nothing of bp_lib):
# the checker recognises them and shows them translated (tests/test_grading.py keeps them equal).
NOT_IMPLEMENTED = ("not implemented yet — replace `raise NotImplementedError()` with "
                   "your code, run that cell, then this one.")


class _CallTimeout(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in learner code can't eat it."""


def encode(x, depth=0):
    """A JSON-safe description of an answer: numbers and numeric arrays exactly, the rest by type."""
    if depth > MAX_DEPTH:
        return {"opaque": "object nested too deeply"}
    t = type(x)
    if x is None:
        return {"none": True}
    if t is bool or t is np.bool_:
        return {"bool": bool(x)}
    if isinstance(x, (int, np.integer)):          # bool was caught above; subclasses count
        return {"int": int(x)}
    if isinstance(x, (float, np.floating)):
        return {"float": float(x), **({"dtype": x.dtype.str} if isinstance(x, np.floating) else {})}
    if isinstance(x, np.ndarray):
        x = x.view(np.ndarray)
        if x.dtype.kind in "biufc" and not x.dtype.fields and x.nbytes <= MAX_ARRAY_BYTES:
            data = np.array(x, order="C", copy=True)      # ascontiguousarray makes 0-d 1-d
            return {"array": base64.b64encode(data.tobytes()).decode("ascii"),
                    "dtype": data.dtype.str, "shape": list(data.shape)}
        return {"placeholder": str(x.dtype), "shape": list(x.shape)}
    if isinstance(x, (tuple, list)):              # a namedtuple is a tuple, a list subclass a list
        kind = "tuple" if isinstance(x, tuple) else "list"
        if len(x) > MAX_ITEMS:
            return {"opaque": f"{kind} of {len(x)} items"}
        return {"seq": kind, "items": [encode(e, depth + 1) for e in x]}
    return {"opaque": t.__name__}


def _on_alarm(signum, frame):
    raise _CallTimeout()


def call(fn, args, timeout, allowed=(), may_change=(), names=None):
    """``["ok", encoded answer]`` or ``["error", text]`` — the text as bp_lib.exercises.run_learner
    words it, including its two refusals: a call of the library's answer (the tripwire) and an
    argument changed in place."""
    from bp_lib._tripwire import LibraryCall, tripwire
    from bp_lib._validate import changed_argument

    timed = hasattr(signal, "setitimer")   # not on Windows: the cell's time limit still holds
    given = copy.deepcopy(args)
    called = []
    if timed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with np.errstate(all="ignore"), tripwire(allowed) as called:
            value = fn(*given)
        if called:                     # it caught the tripwire's exception and went on
            return ["error", str(LibraryCall(called[0]))]
        kept = [k for k in range(len(args)) if k not in may_change]
        i = changed_argument([args[k] for k in kept], [given[k] for k in kept])
        if i is not None:
            k = kept[i]
            name = f"`{names[k]}`" if names and k < len(names) else f"number {k + 1}"
            return ["error", f"your function changed its argument {name} in place (e.g. `A -= Y`, "
                             "`dW[l] += …`, `.pop()`): compute a new array instead — the caller's "
                             "arrays must stay as they were."]
        return ["ok", encode(value)]
    except LibraryCall as exc:
        return ["error", str(exc)]
    except _CallTimeout:
        return ["error", f"your function did not return within {timeout:g} s "
                         "(an endless loop?) and was stopped"]
    except NotImplementedError:
        return ["error", NOT_IMPLEMENTED]
    except BaseException as exc:  # SystemExit, KeyboardInterrupt too: report, carry on
        if called:
            return ["error", str(LibraryCall(called[0]))]
        where = ""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if "bp_lib" not in frame.filename:
                code = (frame.line or "").strip()
                where = f" (line {frame.lineno}" + (f": `{code}`)" if code else ")")
                break
        try:
            text = str(exc)
        except BaseException:  # noqa: BLE001 — an exception whose message itself fails
            text = "(its message could not be shown)"
        text = text if len(text) <= 1000 else text[:1000] + " …"
        return ["error", f"your function raised {type(exc).__name__}: {text}{where}"]
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _write(path, answers):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(answers, f)
    os.replace(tmp, path)


def cap_memory(extra_mb=None):
    """Give the grader's calls the reserve the first cell kept back (soft ``RLIMIT_AS`` up to the hard one).

    The learner's cells ran under the soft limit; the hard limit, set before
    any of them ran, is a little higher and cannot be lifted from inside the
    kernel.  Raising the soft limit to it means a notebook that filled its
    memory still has a little room for the calls.  Linux only.
    """
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: no cap


def exercise_function(ex_id, source, user_ns):
    """The learner's function as its exercise cell defines it, or ``(None, why)``.

    The grader sends the source of the cell that answers the exercise (found
    in the submitted file, outside the kernel).  Running that source again in
    a copy of the notebook's namespace gives the function *that cell* defines
    — whatever later cells, hooks or patches did to the notebook's globals —
    while the helpers and imports of other cells stay reachable.
    """
    if source is None:
        fn = user_ns.get(ex_id)
    else:
        ns = dict(user_ns)
        ns.pop(ex_id, None)
        try:
            with np.errstate(all="ignore"):
                exec(compile(source, f"<the cell that answers {ex_id}>", "exec"), ns)
        except NotImplementedError:
            return None, NOT_IMPLEMENTED
        except BaseException as exc:  # noqa: BLE001 — the cell itself fails: say so
            return None, (f"the cell that defines `{ex_id}` raised {type(exc).__name__}: "
                          f"{str(exc)[:300]}")
        fn = ns.get(ex_id)
    if fn is None:
        return None, (f"no function `{ex_id}` is defined in the notebook "
                      "(its cell deleted or renamed, or the cell raised?)")
    if not callable(fn):
        return None, (f"`{ex_id}` in the notebook is not a function "
                      f"(it is of type {type(fn).__name__})")
    return fn, None


def main(user_ns, inputs_path, answers_path, timeout, memory_mb=None):
    """Answer every exercise of the inputs file; the answers file is rewritten after each one."""
    cap_memory()
    with open(inputs_path, "rb") as f:
        exercises = pickle.load(f)
    answers = {}
    for item in exercises:
        ex_id = item["id"]
        fn, why = exercise_function(ex_id, item.get("source"), user_ns)
        if fn is None:
            answers[ex_id] = {"missing": why}
        else:
            cases = item.get("cases")
            if cases is None:  # arguments that do not pickle: draw them here from the seed
                from bp_lib.exercises import get
                from bp_lib.exercises.core import graded_cases
                cases = graded_cases(get(ex_id), item["seed"])
            results = []
            for args in cases:
                results.append(call(fn, args, timeout, item.get("allowed", ()),
                                    item.get("may_change", ()), item.get("names")))
                if results[-1][0] == "error":
                    break  # the verdict stops at the first failing case anyway
            answers[ex_id] = {"cases": results}
        _write(answers_path, answers)
    _write(answers_path, answers)
