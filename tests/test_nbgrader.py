"""The solution notebooks work in a real nbgrader course: generate_assignment + autograde.

A temporary course (offline, sqlite gradebook, its own ``nbgrader_config.py``) gets a
chapter-3 assignment made from ``solutions/03_*.ipynb`` — its first code cell (the
imports) and its exercise and check cells, so the three autograder runs stay quick.
Three learners hand it in: the solution itself (full marks), the untouched released
copy (zero) and the solution with one function wrong (partial). nbgrader is an
instructor/CI tool (requirements-dev.txt), so this test is skipped where it is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bp_lib.exercises import all_exercises

pytest.importorskip("nbgrader")

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "ch03"


def _nbgrader(course, *args):
    exe = Path(sys.executable).with_name("nbgrader")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nbgrader"]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(course / ".jupyter"),
               JUPYTER_DATA_DIR=str(course / ".jupyter-data"), MPLBACKEND="Agg",
               # nbgrader runs `alembic` (its database migrations) from PATH
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    proc = subprocess.run(cmd + list(args), cwd=course, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_generate_assignment_and_autograde(tmp_path):
    solution = next(iter(sorted((ROOT / "solutions").glob("03_*.ipynb"))), None)
    if solution is None:
        pytest.fail("solutions/03_*.ipynb is missing")
    name = solution.stem
    full = nbformat.read(solution, as_version=4)
    first_code = next(c for c in full.cells if c.cell_type == "code")
    graded = [c for c in full.cells if "nbgrader" in c.metadata]
    nb = nbformat.v4.new_notebook(cells=[first_code] + graded, metadata=full.metadata)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    course = tmp_path / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'backprop'\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.Exchange.root = {str(tmp_path / 'exchange')!r}\n"
        "c.ExecutePreprocessor.timeout = 120\n")
    nbformat.write(nb, course / "source" / ASSIGNMENT / f"{name}.ipynb")

    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = course / "release" / ASSIGNMENT / f"{name}.ipynb"
    assert released.exists()
    stub = nbformat.read(released, as_version=4)
    text = "\n".join(c.source for c in stub.cells)
    assert "raise NotImplementedError()" in text and "BEGIN HIDDEN TESTS" not in text

    wrong = nbformat.read(course / "source" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
    cell = next(c for c in wrong.cells 
                if c.metadata.get("nbgrader", {}).get("grade_id") == "output_delta_mse")
    cell.source = "def output_delta_mse(Z, A, Y):\n    return A - Y\n"
    for student, notebook in (("correct", nb), ("stub", stub), ("partly_wrong", wrong)):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{name}.ipynb")
        (folder / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")

    _nbgrader(course, "autograde", ASSIGNMENT, "--create")

    from nbgrader.api import Gradebook

    chapter = [e for e in all_exercises() if e.chapter == 3]
    full_marks = sum(e.points for e in chapter)
    wrong_points = next(e.points for e in chapter if e.id == "output_delta_mse")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission_notebook(name, ASSIGNMENT, s)
                  for s in ("correct", "stub", "partly_wrong")}
        assert {s: n.max_score for s, n in scores.items()} == dict.fromkeys(scores, full_marks)
        assert scores["correct"].score == full_marks
        assert scores["stub"].score == 0
        assert scores["partly_wrong"].score == full_marks - wrong_points
    shutil.rmtree(course / "autograded")
