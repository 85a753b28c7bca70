"""Grading learners' notebooks for a whole class (``python -m bp_lib.grade``).

Trust lies with the package, not with the submission: the grader draws the
inputs and judges the answers in its own process with
:func:`bp_lib.exercises.evaluate`; the learner's kernel only runs the learner's
functions on those inputs (:mod:`.harness`, injected after the learner's cells).
So an edited or deleted check cell, a redefined ``check`` or a patched
reference inside the notebook change nothing.

This is not a sandbox: a submission's code runs with the grader's rights (as it
does under nbgrader).  Grade untrusted work in a container or a throwaway account.

Modules: :mod:`.grader` (finding notebooks, judging, the gradebook, the command
line), :mod:`.kernel` (running one notebook), :mod:`.harness` (runs in the kernel).
"""

from .grader import Gradebook, find_submissions, grade, judge, main

__all__ = ["grade", "main", "Gradebook", "find_submissions", "judge"]
