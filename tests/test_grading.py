"""``python -m bp_lib.grade`` on real and planted submissions, each in a fresh kernel.

Two class runs are shared by the tests of this file (module fixtures):

* ``real_run`` — every solution notebook (full marks), every untouched learner copy
  (zero) and two solutions with mistakes planted by hand (partial, mistakes named);
* ``broken_run`` — small notebooks: tampering (check cell deleted, ``check``
  redefined, the registry's reference and the checker patched in the kernel), an
  endless loop, a function that never returns, a syntax error, invalid JSON, a
  memory hog and a kernel that exits, next to a correct notebook.

Then: reruns are idempotent and reuse unchanged grades, an interrupted run resumes,
the command line works, and 40 copies of a solution are graded (wall time printed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from bp_lib.exercises import all_exercises
from bp_lib.grading import find_submissions, grade
from bp_lib.grading.grader import chapter_from_name, exercises_for

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = all_exercises()


def _has_exercises(path):
    ch = chapter_from_name(path.name)
    return ch is not None and any(e.chapter == ch for e in EXERCISES)


GRADED = [p for p in sorted((ROOT / "solutions").glob("*.ipynb")) if _has_exercises(p)]
NAMES = [p.name for p in GRADED]


def _points(book, learner, notebook):
    rows = [r for r in book.rows() if r["learner"] == learner and r["notebook"] == notebook]
    assert rows, f"no gradebook rows for {learner}/{notebook}"
    ex = {r["exercise"]: r for r in rows if r["exercise"] != "(notebook)"}
    note = next((r["feedback"] for r in rows if r["exercise"] == "(notebook)"), "")
    return ex, note


def _by_chapter(chapter):
    return [e for e in EXERCISES if e.chapter == chapter]


def _tiny(path, *sources):
    """A small notebook of code cells (the first one imports numpy and check)."""
    cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom bp_lib.exercises import check")]
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _replace_solution(nb, exercise_id, source):
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == exercise_id)
    cell.source = source


class _ProgressLog(io.StringIO):
    """Records, at every progress line, how many rows the CSV on disk has."""

    def __init__(self, csv_path):
        super().__init__()
        self.csv_path, self.seen = Path(csv_path), []

    def write(self, text):
        if text.startswith("[") and self.csv_path.exists():
            with open(self.csv_path, newline="", encoding="utf-8") as f:
                self.seen.append((text.split("]")[0] + "]", len(list(csv.DictReader(f)))))
        return super().write(text)


# ----------------------------------------------------------------- the real class
PLANTED = {   # chapter prefix -> {exercise id: (wrong source, mistake it must be named as)}
    "03_": {
        "output_delta_mse": ("def output_delta_mse(Z, A, Y):\n    return A - Y\n", "fprime_dropped"),
        "last_layer_gradients": ("def last_layer_gradients(delta, A_prev):\n"
                                 "    m = delta.shape[0]\n"
                                 "    return A_prev.T @ delta / m, delta.sum(axis=0) / m\n",
                                 "outer_product_order"),
    },
    "05_": {
        "l2_cost": ("def l2_cost(J0, weights, lam, m):\n"
                    "    return float(J0 + lam / 2 * sum(np.sum(W ** 2) for W in weights))\n",
                    "lam_not_over_m"),
        "l2_gradients": ("def l2_gradients(dW, db, weights, biases, lam, m):\n"
                         "    return ([g + lam / m * W for g, W in zip(dW, weights)],\n"
                         "            [g + lam / m * b for g, b in zip(db, biases)])\n",
                         "bias_regularized"),
    },
}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    if not GRADED:
        pytest.fail("no notebook in solutions/ has registered exercises: nothing to grade")
    tmp = tmp_path_factory.mktemp("real")
    subs = tmp / "submissions"
    planted = []
    for path in GRADED:
        (subs / "solution").mkdir(parents=True, exist_ok=True)
        (subs / "untouched").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, subs / "solution" / path.name)
        shutil.copy(ROOT / "chapters" / path.name, subs / "untouched" / path.name)
        # The Chinese edition runs bp_lib.set_language("zh") first, in the sandbox too.
        (subs / "solution-zh").mkdir(exist_ok=True)
        shutil.copy(ROOT / "solutions" / "zh" / path.name, subs / "solution-zh" / path.name)
        for prefix, plants in PLANTED.items():
            if path.name.startswith(prefix):
                nb = nbformat.read(path, as_version=4)
                for ex_id, (source, _) in plants.items():
                    _replace_solution(nb, ex_id, source)
                (subs / "planted").mkdir(exist_ok=True)
                nbformat.write(nb, subs / "planted" / path.name)
                planted.append(path.name)
    out = tmp / "gradebook"
    log = _ProgressLog(out / "gradebook.csv")
    t0 = time.perf_counter()
    book = grade([subs], out=out, jobs=2, timeout=60, log=log)
    return {"book": book, "subs": subs, "out": out, "log": log, "planted": planted,
            "seconds": time.perf_counter() - t0}


@pytest.mark.parametrize("learner", ["solution", "solution-zh"])   # both editions
@pytest.mark.parametrize("name", NAMES)
def test_every_solution_earns_full_marks(real_run, name, learner):
    rows, note = _points(real_run["book"], learner, name)
    chapter = chapter_from_name(name)
    assert sorted(rows) == sorted(e.id for e in _by_chapter(chapter))
    for ex in _by_chapter(chapter):
        row = rows[ex.id]
        assert (row["points"], row["max_points"]) == (ex.points, ex.points), row["feedback"]
        assert row["feedback"].startswith("✔")
    assert note == "", f"the solution raised or timed out: {note}"


def test_the_harness_words_not_implemented_as_the_checker_does():
    """The harness runs in the learner's kernel and imports nothing of bp_lib, so it keeps its
    own copy of the sentence; the checker recognises (and translates) the checker's words."""
    from bp_lib.exercises import core
    from bp_lib.grading import harness

    assert harness.NOT_IMPLEMENTED == core.NOT_IMPLEMENTED
    assert core.NOT_IMPLEMENTED in core.ERROR_TEMPLATES


@pytest.mark.parametrize("name", NAMES)
def test_every_untouched_learner_copy_earns_zero(real_run, name):
    rows, note = _points(real_run["book"], "untouched", name)
    chapter = chapter_from_name(name)
    assert sorted(rows) == sorted(e.id for e in _by_chapter(chapter))
    for ex in _by_chapter(chapter):
        row = rows[ex.id]
        assert (row["points"], row["max_points"]) == (0, ex.points)
        assert "not implemented yet" in row["feedback"], row["feedback"]
    assert note == "", f"the learner's copy does not run top to bottom: {note}"


def test_mistakes_planted_in_real_notebooks_are_named(real_run):
    assert real_run["planted"], "no chapter 3 or 5 notebook to plant mistakes in"
    by_id = {e.id: e for e in EXERCISES}
    for name in real_run["planted"]:
        rows, _ = _points(real_run["book"], "planted", name)
        plants = next(p for prefix, p in PLANTED.items() if name.startswith(prefix))
        for ex_id, row in rows.items():
            if ex_id in plants:
                mistake = plants[ex_id][1]
                hints = [m.hint for m in by_id[ex_id].mistakes if m.name == mistake]
                assert row["points"] == 0, row
                assert "Likely mistake" in row["feedback"]
                assert any(" ".join(h.split()) in " ".join(row["feedback"].split())
                           for h in hints), row["feedback"]
            else:
                assert row["points"] == row["max_points"] > 0, row["feedback"]


def test_progress_and_gradebook_after_every_notebook(real_run):
    seen = real_run["log"].seen
    n = len(find_submissions([real_run["subs"]]))
    assert [s[0] for s in seen] == [f"[{k}/{n}]" for k in range(1, n + 1)]
    counts = [s[1] for s in seen]
    assert counts == sorted(counts) and counts[0] > 0, counts   # rows on disk grow each time
    text = real_run["log"].getvalue()
    assert re.search(r"\[\d+/\d+\] solution/03_\w+\.ipynb 10/10", text) or "03_" not in " ".join(NAMES)
    print(f"\nreal class: {n} notebooks graded in {real_run['seconds']:.1f} s")


def test_gradebook_files_agree(real_run):
    book = real_run["book"]
    with open(real_run["out"] / "gradebook.csv", newline="", encoding="utf-8") as f:
        csv_rows = list(csv.DictReader(f))
    data = json.loads((real_run["out"] / "gradebook.json").read_text(encoding="utf-8"))
    assert list(csv_rows[0]) == ["learner", "notebook", "exercise", "points", "max_points", "feedback"]
    assert len(csv_rows) == len(data["rows"]) == len(book.rows())
    for c, j in zip(csv_rows, data["rows"]):
        assert (c["learner"], c["exercise"], int(c["points"]), int(c["max_points"])) == \
            (j["learner"], j["exercise"], j["points"], j["max_points"])
        assert "\n" not in c["feedback"]
    assert not list(real_run["out"].glob(".*tmp")), "a temporary file was left behind"
    total = sum(e.points for e in EXERCISES if any(_has_exercises(p) and
                                                    chapter_from_name(p.name) == e.chapter
                                                    for p in GRADED))
    assert book.totals()["solution"] == (total, total)
    assert book.totals()["untouched"] == (0, total)


def test_rerun_is_idempotent_and_keeps_unchanged_grades(real_run, tmp_path, monkeypatch):
    out = real_run["out"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    log = io.StringIO()
    import bp_lib.grading.grader as grader_module
    ran = []
    real_run_notebook = grader_module.run_notebook
    monkeypatch.setattr(grader_module, "run_notebook",
                        lambda *a, **k: ran.append(a) or real_run_notebook(*a, **k))
    grade([real_run["subs"]], out=out, jobs=2, timeout=60, log=log)
    assert not ran, "unchanged notebooks were run again"
    n = len(find_submissions([real_run["subs"]]))
    assert log.getvalue().count("unchanged, grade kept") == n
    assert f"({n} unchanged)" in log.getvalue()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ----------------------------------------------------------------- tampering and broken notebooks
CORRECT = "def output_delta_mse(Z, A, Y):\n    return (A - Y) * A * (1 - A)\n"
FPRIME_DROPPED = "def output_delta_mse(Z, A, Y):\n    return A - Y\n"
VISIBLE_CHECK = 'check("output_delta_mse", output_delta_mse)'

BROKEN = {
    # learner: (cells, what the gradebook must say)
    "correct": ([CORRECT, VISIBLE_CHECK], None),
    "check_deleted": ([FPRIME_DROPPED], None),
    "check_redefined": (["check = lambda *args, **kwargs: True", FPRIME_DROPPED,
                         'check("output_delta_mse", output_delta_mse, seed="fresh")'], None),
    "reference_patched": ([
        "import dataclasses\nimport bp_lib.exercises as ex\n"
        "ex.get('output_delta_mse')  # loads the registry\n"
        "ex.REGISTRY['output_delta_mse'] = dataclasses.replace(\n"
        "    ex.REGISTRY['output_delta_mse'], reference=lambda Z, A, Y: A - Y, mistakes=())",
        FPRIME_DROPPED, VISIBLE_CHECK], None),
    "checker_patched": ([
        "import bp_lib.exercises.core as core, bp_lib.delta\n"
        "core.compare = lambda *args, **kwargs: None\n"
        "core.evaluate = lambda ex, outputs_for, seed: core.CheckResult(ex.id, True, 'pass')\n"
        "bp_lib.delta.output_delta_mse = lambda *args, **kwargs: args[1] - args[2]",
        FPRIME_DROPPED, VISIBLE_CHECK], None),
    "endless_loop": ([CORRECT, "while True:\n    pass", "x = 1"], "no result within"),
    "endless_function": (["def output_delta_mse(Z, A, Y):\n    while True:\n        pass"],
                         None),
    "syntax_error": ([CORRECT, "def broken(:\n    pass", "1 / 0"], "SyntaxError"),
    "memory_hog": ([CORRECT, "big = np.ones(10 ** 11)",
                    "hoard = []\nwhile True:\n    hoard.append(bytearray(10 ** 7))"],
                   "MemoryError"),
    "kernel_exits": (["import os\nos._exit(1)", CORRECT], "kernel died"),
}


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("broken")
    subs = tmp / "submissions"
    for learner, (cells, _) in BROKEN.items():
        _tiny(subs / learner / "03_output_delta.ipynb", *cells)
    (subs / "invalid_json").mkdir()
    (subs / "invalid_json" / "03_output_delta.ipynb").write_text('{"cells": [}', encoding="utf-8")
    out = tmp / "gradebook"
    t0 = time.perf_counter()
    book = grade([subs], out=out, jobs=2, timeout=3, budget=30, memory_mb=300, log=io.StringIO())
    return {"book": book, "subs": subs, "out": out, "seconds": time.perf_counter() - t0}


def test_tampering_earns_nothing(broken_run):
    """Whatever the notebook does to check, the registry or the checker, a wrong answer stays wrong."""
    book = broken_run["book"]
    hint = next(m.hint for e in EXERCISES if e.id == "output_delta_mse"
                for m in e.mistakes if m.name == "fprime_dropped")
    rows, _ = _points(book, "correct", "03_output_delta.ipynb")
    assert rows["output_delta_mse"]["points"] == 2
    for learner in ("check_deleted", "check_redefined", "reference_patched", "checker_patched"):
        rows, _ = _points(book, learner, "03_output_delta.ipynb")
        row = rows["output_delta_mse"]
        assert row["points"] == 0, (learner, row)
        assert " ".join(hint.split()) in " ".join(row["feedback"].split()), row["feedback"]
        assert sum(r["points"] for r in rows.values()) == 0


def test_broken_notebooks_are_reported_and_the_rest_graded(broken_run):
    book = broken_run["book"]
    for learner, (_, expected_note) in BROKEN.items():
        rows, note = _points(book, learner, "03_output_delta.ipynb")
        assert sorted(rows) == sorted(e.id for e in _by_chapter(3)), learner
        if expected_note:
            assert expected_note in note, (learner, note)
    assert _points(book, "endless_loop", "03_output_delta.ipynb")[0]["output_delta_mse"]["points"] == 2
    assert _points(book, "syntax_error", "03_output_delta.ipynb")[0]["output_delta_mse"]["points"] == 2
    _, note = _points(book, "syntax_error", "03_output_delta.ipynb")
    assert "ZeroDivisionError" in note
    assert _points(book, "memory_hog", "03_output_delta.ipynb")[0]["output_delta_mse"]["points"] == 2
    row = _points(book, "endless_function", "03_output_delta.ipynb")[0]["output_delta_mse"]
    assert row["points"] == 0 and "did not return within 3 s" in row["feedback"]
    rows, note = _points(book, "kernel_exits", "03_output_delta.ipynb")
    assert all(r["points"] == 0 for r in rows.values())
    assert "kernel died" in rows["output_delta_mse"]["feedback"]      # its cell ran, then the kernel died
    assert all("no cell of the notebook defines" in r["feedback"]      # the others have no cell at all
               for ex_id, r in rows.items() if ex_id != "output_delta_mse")
    rows, note = _points(book, "invalid_json", "03_output_delta.ipynb")
    assert "not valid JSON" in note
    assert all(r["points"] == 0 and r["max_points"] > 0 for r in rows.values())
    assert broken_run["seconds"] < 90


def test_an_interrupted_run_resumes(broken_run):
    """Drop one notebook's grade (as if the run had stopped before it): only it is graded again."""
    out = broken_run["out"]
    data = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    target = next(s for s in data["submissions"] if s["learner"] == "correct")
    data["submissions"].remove(target)
    (out / "gradebook.json").write_text(json.dumps(data), encoding="utf-8")
    log = io.StringIO()
    book = grade([broken_run["subs"]], out=out, jobs=2, timeout=3, budget=30, memory_mb=300, log=log)
    regraded = [line for line in log.getvalue().splitlines()
                if line.startswith("[") and "grade kept" not in line]
    assert len(regraded) == 1 and "correct/03_output_delta.ipynb 2/10" in regraded[0]
    assert book.rows() == broken_run["book"].rows()


def test_command_line(broken_run, tmp_path):
    out = tmp_path / "book"
    shutil.copytree(broken_run["out"], out)
    proc = subprocess.run(
        [sys.executable, "-m", "bp_lib.grade", str(broken_run["subs"] / "correct"),
         str(broken_run["subs"] / "invalid_json"), "--out", str(out), "--timeout", "3",
         "--jobs", "2", "--memory-mb", "300", "--notebook-timeout", "30"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[1/2]" in proc.stderr and "[2/2]" in proc.stderr
    assert re.search(r"^correct\s+2/10$", proc.stdout, re.M), proc.stdout
    assert "gradebook:" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "bp_lib.grade", str(tmp_path / "nowhere")],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert bad.returncode == 2 and "no such file or folder" in bad.stderr


# ----------------------------------------------------------------- finding learners and chapters
def test_learners_and_chapters_are_found(tmp_path):
    _tiny(tmp_path / "class" / "alice" / "03_output_delta.ipynb", CORRECT)
    _tiny(tmp_path / "class" / "bob" / "ps1" / "03_output_delta.ipynb", CORRECT)
    _tiny(tmp_path / "class" / "bob" / ".ipynb_checkpoints" / "03_x-checkpoint.ipynb", CORRECT)
    _tiny(tmp_path / "class" / "carol" / "homework.ipynb", CORRECT)
    loose = _tiny(tmp_path / "dave" / "04_hidden_delta (1).ipynb", "x = 1")
    subs = find_submissions([tmp_path / "class", loose])
    assert [(s.learner, s.notebook) for s in subs] == [
        ("alice", "03_output_delta.ipynb"), ("bob", "ps1/03_output_delta.ipynb"),
        ("carol", "homework.ipynb"), ("dave", "04_hidden_delta (1).ipynb")]
    assert chapter_from_name("03_output_delta.ipynb") == 3
    assert chapter_from_name("A_appendix.ipynb") is None
    nb = json.loads((tmp_path / "class" / "carol" / "homework.ipynb").read_text())
    found, how = exercises_for("homework.ipynb", nb)
    assert [e.chapter for e in found] == [3] * len(_by_chapter(3)) and "named" in how
    assert exercises_for("notes.ipynb", {"cells": []})[0] == []
    assert [e.chapter for e in exercises_for("x.ipynb", None, chapter=5)[0]] == [5, 5, 5]


# ----------------------------------------------------------------- a big class
COPIES = 40      # benchmarks/bench_grading.py times 100 (README); here: none lost, all full marks


def test_forty_copies_of_a_solution(tmp_path, capsys):
    """40 learners hand in chapter 3's solved exercises (small notebooks, so kernels start fast)."""
    solution = next((p for p in GRADED if p.name.startswith("03_")), None)
    if solution is None:
        pytest.fail("solutions/03_*.ipynb is missing")
    nb = nbformat.read(solution, as_version=4)
    cells = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    cells = ["from bp_lib import activations"] + cells       # what the chapter's import cell gives
    for i in range(COPIES):
        _tiny(tmp_path / "class" / f"learner{i:03d}" / solution.name, *cells)
    t0 = time.perf_counter()
    book = grade([tmp_path / "class"], out=tmp_path / "book", jobs=4, timeout=30, log=io.StringIO())
    seconds = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n{COPIES} copies of {solution.name} graded in {seconds:.1f} s "
              f"({seconds / COPIES:.2f} s a notebook, 4 kernels at a time)")
    totals = book.totals()
    full = sum(e.points for e in _by_chapter(3))
    assert len(totals) == COPIES and set(totals.values()) == {(full, full)}
