"""Execute the solution notebooks and regenerate the learners' copies from them.

    python tools/build_notebooks.py              # every notebook in solutions/
    python tools/build_notebooks.py 03 04        # only chapters whose file name starts so
    python tools/build_notebooks.py --check      # exit 1 if chapters/ is stale (no execution)
    python tools/build_notebooks.py --lang zh 03 # only the Chinese edition of chapter 3

``solutions/NN_name.ipynb`` is the source of truth.  Building it:

1. executes it in a fresh kernel and stores the outputs in place (so it
   reads well on GitHub and nbval can compare them);
2. makes ``chapters/NN_name.ipynb`` with nbgrader's own preprocessors —
   ``ClearSolutions`` (code between ``### BEGIN SOLUTION``/``### END SOLUTION``
   becomes ``# YOUR CODE HERE`` + ``raise NotImplementedError()``) and
   ``ClearHiddenTests`` (the autograder-only lines of check cells go) — then
   clears and re-executes it, so the learner's copy shows its figures and the
   "not implemented yet" verdicts.

Each language of ``tools/translations.LANGUAGES`` gets the same two notebooks in
``solutions/<lang>/`` and ``chapters/<lang>/``: the English solution with its markdown
replaced by ``translations/<lang>/<name>.md`` and one code cell first that switches bp_lib to
that language; executed, then its learner's copy made and executed the same way.  A missing
or stale translation stops the build and says which cell.

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import translations  # noqa: E402  (tools/translations.py)

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


def _sources(nb, derived=()):
    return [(c.cell_type, c.source, _stable_meta(c.metadata, derived)) for c in nb.cells]


def _stable_meta(meta, derived=()):
    """A cell's metadata without what execution and the build derive (``derived``: also the
    slide types, which depend on the outputs' heights, so a translated notebook — its text
    longer or shorter — has its own)."""
    meta = dict(meta)
    for key in ("execution", *derived):
        meta.pop(key, None)
    return meta


def stale(solution_path, lang=None):
    """Return a reason why chapters/ (or, with ``lang``, the ``lang`` edition's solution or
    learner's copy) is out of date for this solution, or None."""
    solution = nbformat.read(solution_path, as_version=4)
    pairs = [(CHAPTERS / solution_path.name, learner_copy(solution))]
    derived = ()
    if lang:
        try:
            edition = translated_source(solution, lang, solution_path)
        except ValueError as exc:
            return str(exc)
        pairs = [(SOLUTIONS / lang / solution_path.name, edition),
                 (CHAPTERS / lang / solution_path.name, learner_copy(edition))]
        derived = ("slideshow",)
    for path, want in pairs:
        if not path.exists():
            return f"{path.relative_to(ROOT)} is missing"
        have = nbformat.read(path, as_version=4)
        if _sources(want, derived) != _sources(have, derived):
            for i, (w, h) in enumerate(zip(_sources(want, derived), _sources(have, derived))):
                if w != h:
                    return f"{path.relative_to(ROOT)} cell {i} differs from what its build makes"
            return f"{path.relative_to(ROOT)} has a different number of cells"
    return None


def translated_source(solution, lang, solution_path):
    """The ``lang`` edition of a solution notebook, outputs cleared (not executed yet)."""
    from nbgrader.preprocessors import ClearOutput

    nb, _ = ClearOutput().preprocess(translations.translated(solution, lang, solution_path), {})
    return nb


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


def build_edition(solution_path, lang):
    """Build ``solutions/<lang>/`` and ``chapters/<lang>/`` for one notebook."""
    t0 = time.perf_counter()
    nb = translated_source(nbformat.read(solution_path, as_version=4), lang, solution_path)
    out = SOLUTIONS / lang / solution_path.name
    out.parent.mkdir(exist_ok=True)
    execute(nb, out)
    apply_slide_metadata(nb)
    nbformat.write(nb, out)
    chapter = CHAPTERS / lang / solution_path.name
    chapter.parent.mkdir(exist_ok=True)
    nbformat.write(execute(learner_copy(nb), chapter), chapter)
    print(f"built {lang}/{solution_path.name} in {time.perf_counter() - t0:.1f} s", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefixes", nargs="*", help="only notebooks whose name starts with one")
    parser.add_argument("--check", action="store_true", help="report stale learner copies")
    parser.add_argument("--chapters-only", action="store_true",
                        help="do not re-execute the solutions, only rebuild chapters/")
    parser.add_argument("--lang", choices=("en",) + translations.LANGUAGES,
                        help="build only this edition (default: every edition)")
    args = parser.parse_args(argv)
    langs = [args.lang] if args.lang else ["en", *translations.LANGUAGES]
    paths = sorted(p for p in SOLUTIONS.glob("*.ipynb")
                   if not args.prefixes or any(p.name.startswith(x) for x in args.prefixes))
    if not paths:
        print("no notebooks matched", file=sys.stderr)
        return 1
    if args.check:
        problems = [r for p in paths for lang in langs
                    if (r := stale(p, None if lang == "en" else lang))]
        for r in problems:
            print(f"stale: {r} (run `make notebooks`)")
        return 1 if problems else 0
    CHAPTERS.mkdir(exist_ok=True)
    for p in paths:
        if "en" in langs:
            build(p, execute_solution=not args.chapters_only)
        for lang in langs:
            if lang != "en":
                build_edition(p, lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
