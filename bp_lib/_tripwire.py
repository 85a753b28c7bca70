"""While a learner's function is judged, the library's answers answer with a tripwire.

An exercise asks for a formula the library already implements (``delta.hidden_delta``,
``losses.mse``, ``Network.gradients``, …).  During the call of the learner's function — in
the check cell (:func:`bp_lib.exercises.check`) and in the grader alike — every function of
the modules that hold such answers, every method of ``Network`` and the derivatives of the
activations raise :class:`LibraryCall` instead of answering, unless the exercise allows them
(``Exercise.allowed``, e.g. ``("Network.gradients",)`` for a training step).  The plain
activations (``sigmoid``, ``tanh``, ``relu``, ``identity``, ``softmax``) stay usable: they are
the vocabulary the exercises are written in, not their answers.

The functions are swapped by their code object, so a name bound earlier (``from bp_lib.delta
import hidden_delta``) trips too.  Only the judging thread trips: a widget redrawing in another
thread at the same moment still gets the library's answers.  Everything is put back on exit.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import types
from contextlib import contextmanager

#: Modules whose every public function (and every method of ``Network``) is an answer to some
#: exercise; their private helpers (argument checks a ``Network(...)`` needs) stay open.
ANSWER_MODULES = ("delta", "losses", "regularization", "training", "gradcheck", "notation",
                  "crosswalk", "network")
#: In ``activations``, what an exercise would otherwise get for free.
ANSWER_ACTIVATIONS = ("sigmoid_derivative", "tanh_derivative", "relu_derivative",
                      "identity_derivative", "softmax_jacobian", "_softmax_derivative",
                      "_softmax_backward", "_elementwise_backward", "_sigmoid_scale",
                      "_tanh_scale", "_relu_scale", "_identity_scale")


class LibraryCall(BaseException):
    """A judged function called the library's answer (a BaseException: ``except Exception``
    in the learner's code cannot swallow it)."""

    def __init__(self, name):
        super().__init__(f"your function calls bp_lib.{name} — that is the library's answer; "
                         "write the formula yourself")
        self.name = name


_lock = threading.RLock()
_state = {"thread": None, "originals": {}, "called": [], "inside_allowed": 0}


def tripped(key, args, kwargs):
    """What a swapped function runs: the original in other threads and inside an allowed
    library function (``Network.gradients`` uses the rest of the network), else the tripwire."""
    original = _state["originals"].get(key)
    if original is not None and (threading.get_ident() != _state["thread"]
                                 or _state["inside_allowed"]):
        return original(*args, **kwargs)
    _state["called"].append(key)
    raise LibraryCall(key)


def passthrough(key, args, kwargs):
    """What an allowed function runs while swapped: itself, with the library open inside it."""
    original = _state["originals"][key]
    if threading.get_ident() != _state["thread"]:
        return original(*args, **kwargs)
    _state["inside_allowed"] += 1
    try:
        return original(*args, **kwargs)
    finally:
        _state["inside_allowed"] -= 1


_codes = {}


def _trip_code(key, name, allowed=False):
    if (key, allowed) not in _codes:
        _codes[key, allowed] = _compile_trip(key, name, allowed)
    return _codes[key, allowed]


def _compile_trip(key, name, allowed):
    what = "passthrough" if allowed else "tripped"
    source = (f"def {name}(*args, **kwargs):\n"
              f"    return __import__('bp_lib._tripwire', fromlist=['{what}'])"
              f".{what}({key!r}, args, kwargs)\n")
    space = {}
    exec(compile(source, f"<tripwire {key}>", "exec"), space)  # noqa: S102 — our own source
    return space[name].__code__


def _targets():
    """``[(key, function)]`` to swap: the answer modules' functions and Network's methods."""
    found = []
    for module_name in ANSWER_MODULES + ("activations",):
        try:
            module = importlib.import_module(f"bp_lib.{module_name}")
        except Exception:      # noqa: BLE001 — absent or a grading sandbox's stub: nothing to trip
            continue
        names = ANSWER_ACTIVATIONS if module_name == "activations" else \
            [n for n in vars(module) if not n.startswith("_")]   # helpers (shape checks) stay
        for name in names:
            f = getattr(module, name, None)
            if inspect.isfunction(f) and f.__module__ == module.__name__:
                found.append((f"{module_name}.{name}", f))
            elif inspect.isclass(f) and f.__module__ == module.__name__ and module_name == "network":
                for attr, g in vars(f).items():
                    if inspect.isfunction(g) and not attr.startswith("__"):   # copy/pickle work
                        found.append((f"{name}.{attr}", g))
    return [(k, f) for k, f in found if f.__closure__ is None]


@contextmanager
def tripwire(allowed=()):
    """Swap the library's answers for tripwires in this thread; yields the list of the keys
    the judged code called (also filled when it caught the exception)."""
    with _lock:
        if _state["thread"] is not None:          # nested: the outer one is in force
            yield _state["called"]
            return
        swapped = []
        _state["called"] = called = []
        _state["inside_allowed"] = 0
        allowed = set(allowed)
        try:
            for key, f in _targets():
                code = f.__code__
                original = types.FunctionType(code, f.__globals__, f.__name__, f.__defaults__,
                                              f.__closure__)
                original.__kwdefaults__ = f.__kwdefaults__
                _state["originals"][key] = original
                f.__code__ = _trip_code(key, f.__name__, key in allowed)
                swapped.append((f, code))
            _state["thread"] = threading.get_ident()
            yield called
        finally:
            _state["thread"] = None
            for f, code in swapped:
                f.__code__ = code
            _state["originals"].clear()
