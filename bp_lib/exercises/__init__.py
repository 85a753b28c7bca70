"""Graded exercises: the registry of every exercise and the ``check`` function.

In a notebook::

    from bp_lib.exercises import check
    check("output_delta_mse", output_delta_mse)

Each chapter's exercises are registered in its own module (``ch01``, ``ch02``,
…); :func:`table` lists them all.
"""

from __future__ import annotations

import importlib
import pkgutil

from .core import (REGISTRY, CheckResult, Exercise, Mistake, check, compare, evaluate, get,
                   register, run_learner)

_loaded = False


def _load_all():
    """Import every chapter module once, which registers its exercises."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{info.name}")


def all_exercises():
    """Every registered exercise, in chapter order (registration order within a chapter)."""
    _load_all()
    return sorted(REGISTRY.values(), key=lambda e: e.chapter)


def table():
    """A Markdown table of every exercise: chapter, id, points, signature, what to do."""
    rows = ["| chapter | id | points | signature | what to compute |", "|---|---|---|---|---|"]
    for e in all_exercises():
        rows.append(f"| {e.chapter} | `{e.id}` | {e.points} | `{e.signature}` | {e.summary} |")
    return "\n".join(rows)


__all__ = ["check", "Exercise", "Mistake", "CheckResult", "register", "get", "compare",
           "evaluate", "run_learner", "all_exercises", "table", "REGISTRY"]
