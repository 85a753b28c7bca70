"""Input checks shared by the public entry points.

Every check raises a ``TypeError`` or ``ValueError`` whose message names the
argument, what was expected and what arrived, so a learner's mistake is
reported where it was made instead of deep inside numpy.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(value, name: str, expected: str) -> np.ndarray:
    """``value`` read as a float64 array (no copy when it already is one), or a
    TypeError saying that ``name`` must be ``expected`` and what came instead."""
    if type(value) is np.ndarray and value.dtype == np.float64:   # the common case, at once
        return value
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be {expected}; got {type(value).__name__}")
    if np.iscomplexobj(value):          # numpy would drop the imaginary part with a warning
        raise TypeError(f"{name} must be {expected} (real); got complex numbers")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {expected}; got {type(value).__name__} that numpy "
                        f"cannot read as numbers") from None


def as_matrix(value, name: str, *, cols: int | None = None, rows: int | None = None,
              what: str = "") -> np.ndarray:
    """Return ``value`` as a finite float64 2-D array, or raise.

    ``cols``/``rows`` pin the expected number of columns/rows; ``what``
    explains the expected shape in words, e.g. ``"(m, n_in) = (m, 3)"``.
    """
    arr = as_float_array(value, name, f"a 2-D array of numbers{_shape_hint(what)}")
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (" (class labels? use bp_lib.one_hot(labels, n_classes))"
                    if name.startswith("Y") else f" (one example? use {name}[None, :])")
        raise ValueError(f"{name} must be 2-D{_shape_hint(what)}; got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 rows (examples); shape {arr.shape}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns{_shape_hint(what)}; "
                         f"got shape {arr.shape}")
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows{_shape_hint(what)}; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must contain only finite numbers; got {bad} NaN/inf "
                         f"value(s) in shape {arr.shape}")
    return arr


def _shape_hint(what: str) -> str:
    return f" with shape {what}" if what else ""


def same_rows(X: np.ndarray, Y: np.ndarray, xname: str = "X", yname: str = "Y") -> None:
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"{xname} and {yname} must have the same number of rows (one per "
                         f"example); got {xname} {X.shape} and {yname} {Y.shape}")


def real(value, name: str, *, low: float | None = None, low_inclusive: bool = True,
         high: float | None = None) -> float:
    """Return ``value`` as a finite Python float within the given bounds, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite; got {v}")
    if low is not None:
        if low_inclusive and v < low:
            raise ValueError(f"{name} must be >= {low}; got {v}")
        if not low_inclusive and v <= low:
            raise ValueError(f"{name} must be > {low}; got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}; got {v}")
    return v


def integer(value, name: str, *, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}; got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}; got {v}")
    return v


def choice(value, name: str, options) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {sorted(options)}; got {type(value).__name__} "
                        f"{value!r}")
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}; got {value!r}")
    return value


def changed_argument(before, after):
    """Index of the first argument the judged function changed in place, or None.

    ``before``: untouched copies of the arguments; ``after``: the objects it was given.
    Arrays are compared bit for bit (NaN equals NaN), lists, tuples and dicts item by item,
    objects with a ``__dict__`` (a ``Network``) by their attributes.
    """
    for i, (b, a) in enumerate(zip(before, after)):
        try:
            if not _same(b, a):
                return i
        except Exception:      # noqa: BLE001 — an argument that cannot be compared: not judged
            continue
    return None


def _same(b, a, depth=0):
    if depth > 20:
        return True
    if isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(b, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same(x, y, depth + 1) for x, y in zip(b, a)))
    if isinstance(b, dict):
        return (isinstance(a, dict) and a.keys() == b.keys()
                and all(_same(b[k], a[k], depth + 1) for k in b))
    if hasattr(b, "__dict__") and not isinstance(b, type):
        return _same(vars(b), vars(a), depth + 1)
    return True


def instance(value, name: str, cls, what: str):
    """``value`` if it is a ``cls``, else a TypeError saying what ``name`` must be and what came."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be {what}; got {type(value).__name__}")
    return value

