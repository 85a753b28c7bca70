"""``python -m bp_lib.grade SUBMISSIONS... [--out DIR] [--jobs N] [--timeout S] [--memory-mb N]``

Grades learners' notebooks in fresh kernels against the exercise registry and
writes a gradebook (CSV and JSON).  See ``docs/instructors.md``;
the code is in :mod:`bp_lib.grading`.
"""

import sys

from .grading import grade, main

__all__ = ["grade", "main"]

if __name__ == "__main__":
    sys.exit(main())
