"""Grading a class of 100 copies of one chapter, in sandboxes and without (``--trusted``).

    python benchmarks/bench_grading.py [--copies 100] [--jobs 2] [--repeats 1]

Each learner hands in chapter 3's solved exercise cells (a small notebook, so what
is timed is mostly a kernel's start, the learner's cells, the grader's calls and
shutdown).  The two modes are run alternately; the wall time of each run and the
ratio sandboxed / trusted are printed.  Every grade is checked to be full marks
first, so a broken sandbox cannot look fast.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def make_class(folder: Path, copies: int):
    solution = sorted((ROOT / "solutions").glob("03_*.ipynb"))[0]
    nb = nbformat.read(solution, as_version=4)
    cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom bp_lib.exercises import check")]
    cells += [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    for i in range(copies):
        path = folder / f"learner{i:03d}" / solution.name
        path.parent.mkdir(parents=True)
        nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def run(folder: Path, out: Path, jobs: int, trusted: bool):
    from bp_lib.exercises import all_exercises
    from bp_lib.grading import grade

    full = sum(e.points for e in all_exercises() if e.chapter == 3)
    t0 = time.perf_counter()
    book = grade([folder], out=out, jobs=jobs, timeout=30, log=io.StringIO(), trusted=trusted,
                 regrade=True)
    seconds = time.perf_counter() - t0
    bad = {k: v for k, v in book.totals().items() if v != (full, full)}
    if bad:
        sys.exit(f"not every copy earned full marks ({'trusted' if trusted else 'sandboxed'}): "
                 f"{list(bad.items())[:3]}")
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        make_class(folder, args.copies)
        times = {"sandboxed": [], "trusted": []}
        for r in range(args.repeats):
            order = ["sandboxed", "trusted"] if r % 2 == 0 else ["trusted", "sandboxed"]
            for mode in order:
                s = run(folder, Path(tmp) / f"book-{mode}", args.jobs, mode == "trusted")
                times[mode].append(s)
                print(f"{mode:>9}: {args.copies} notebooks in {s:.1f} s "
                      f"({s / args.copies:.2f} s each, {args.jobs} at a time)", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"median: sandboxed {med['sandboxed']:.1f} s, trusted {med['trusted']:.1f} s, "
          f"ratio {med['sandboxed'] / med['trusted']:.2f}")


if __name__ == "__main__":
    main()
