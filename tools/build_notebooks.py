"""Execute the solution notebooks and regenerate the learners' copies from them.

    python tools/build_notebooks.py              # every notebook in solutions/
    python tools/build_notebooks.py 03 04        # only chapters whose file name starts so
    python tools/build_notebooks.py --check      # exit 1 if chapters/ is stale (no execution)

``solutions/NN_name.ipynb`` is the source of truth.  Building it:

1. executes it in a fresh kernel and stores the outputs in place (so it
   reads well on GitHub and nbval can compare them);
2. makes ``chapters/NN_name.ipynb`` with nbgrader's own preprocessors —
   ``ClearSolutions`` (code between ``### BEGIN SOLUTION``/``### END SOLUTION``
   becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()``) and
   ``ClearHiddenTests`` (the autograder-only lines of check cells go) — then
   clears and re-executes it, so the learner's copy shows its figures and the
   "not implemented yet" verdicts.

``--check`` compares cell sources and metadata only (outputs are nbval's job).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
CHAPTERS = ROOT / "chapters"
TIMEOUT = 300


def learner_copy(nb):
    """The learner's version of a solution notebook (sources only, outputs cleared)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    nb = copy.deepcopy(nb)
    resources = {}
    nb, resources = ClearSolutions(enforce_metadata=True).preprocess(nb, resources)
    nb, resources = ClearHiddenTests(enforce_metadata=True).preprocess(nb, resources)
    nb, resources = ClearOutput().preprocess(nb, resources)
    return nb


def execute(nb, path):
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    return nb


def _sources(nb):
    return [(c.cell_type, c.source, _stable_meta(c.metadata)) for c in nb.cells]


def _stable_meta(meta):
    meta = dict(meta)
    meta.pop("execution", None)
    return meta


def stale(solution_path):
    """Return a reason why chapters/ is out of date for this solution, or None."""
    chapter_path = CHAPTERS / solution_path.name
    if not chapter_path.exists():
        return f"{chapter_path.relative_to(ROOT)} is missing"
    want = learner_copy(nbformat.read(solution_path, as_version=4))
    have = nbformat.read(chapter_path, as_version=4)
    if _sources(want) != _sources(have):
        for i, (w, h) in enumerate(zip(_sources(want), _sources(have))):
            if w != h:
                return f"{chapter_path.relative_to(ROOT)} cell {i} differs from its solution"
        return f"{chapter_path.relative_to(ROOT)} has a different number of cells"
    return None


def apply_slide_metadata(nb):
    """Give every cell its slide type from the notebook's structure (see tools/slides.py)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("slides", Path(__file__).with_name("slides.py"))
    slides = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(slides)
    return slides.apply_slide_metadata(nb)


def build(solution_path, execute_solution=True):
    t0 = time.perf_counter()
    nb = nbformat.read(solution_path, as_version=4)
    if execute_solution:
        execute(nb, solution_path)
        apply_slide_metadata(nb)
        nbformat.write(nb, solution_path)
    learner = execute(learner_copy(nb), CHAPTERS / solution_path.name)
    nbformat.write(learner, CHAPTERS / solution_path.name)
    print(f"built {solution_path.name} in {time.perf_counter() - t0:.1f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with one")
    parser.add_argument("--check", action="store_true", help="report stale learner copies")
    parser.add_argument("--chapters-only", action="store_true",
                        help="do not re-execute the solutions, only rebuild chapters/")
    args = parser.parse_args(argv)
    paths = sorted(p for p in SOLUTIONS.glob("*.ipynb")
                   if not args.prefixes or any(p.name.startswith(x) for x in args.prefixes))
    if not paths:
        print("no notebooks matched", file=sys.stderr)
        return 1
    if args.check:
        problems = [r for r in map(stale, paths) if r]
        for r in problems:
            print(f"stale: {r} (run `make notebooks`)")
        return 1 if problems else 0
    CHAPTERS.mkdir(exist_ok=True)
    for p in paths:
        build(p, execute_solution=not args.chapters_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
