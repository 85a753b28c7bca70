"""Grade a class: find the notebooks, run each in a fresh kernel, judge, keep a gradebook.

See ``docs/instructors.md`` for the user's view and :mod:`bp_lib.grading` for
the design.  The steps for one submission:

1. read it (invalid JSON is reported, not fatal) and hash its bytes; if the
   gradebook already holds a grade for the same bytes made by the same grader
   (same ``bp_lib`` sources, same limits), keep that grade;
2. find its exercises: the chapter number the file name starts with
   (``03_output_delta.ipynb`` → every exercise of chapter 3), or, for a
   renamed file, the chapters of the exercises the notebook names;
3. draw fresh inputs for each exercise *here*, send them to a worker that runs
   the notebook plus the harness in a fresh kernel (:mod:`.kernel`);
4. judge the answers *here* with :func:`bp_lib.exercises.evaluate` — the
   reference and the recognised mistakes come from this process's
   ``bp_lib``, whatever the notebook did to its own;
5. write the whole gradebook again, atomically, and print a progress line.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import hashlib
import io
import json
import os
import pickle
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exercises import REGISTRY, all_exercises, evaluate
from .kernel import decode_answers, run_notebook

FORMAT = "bp_lib gradebook 1"
FIELDS = ("learner", "notebook", "exercise", "points", "max_points", "feedback")
NOTEBOOK_ROW = "(notebook)"     # the exercise column of a row about the notebook as a whole
_CHAPTER_PREFIX = re.compile(r"^(\d{1,2})(?!\d)")
_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.M)
_CHECK = re.compile(r"check\(\s*['\"]([A-Za-z_]\w*)['\"]")


# ----------------------------------------------------------------- finding submissions
@dataclass(frozen=True)
class Submission:
    path: Path          # resolved
    learner: str
    notebook: str       # its path inside the learner's folder

    @property
    def label(self):
        return f"{self.learner}/{self.notebook}"


def find_submissions(paths):
    """Every notebook under ``paths``, with its learner.

    A folder you name holds one folder per learner: ``DIR/<learner>/…/x.ipynb``
    belongs to ``<learner>`` (so nbgrader's ``submitted/<student>/<assignment>/``
    works too).  A notebook you name directly, or one lying directly in a
    folder you name, belongs to the folder it sits in.  Hidden folders
    (``.ipynb_checkpoints``) are skipped.
    """
    found, seen = [], set()
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                rel = nb.relative_to(p)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if len(rel.parts) >= 2:
                    sub = Submission(nb.resolve(), rel.parts[0], "/".join(rel.parts[1:]))
                else:
                    sub = Submission(nb.resolve(), p.resolve().name, rel.name)
                found.append(sub)
        elif p.is_file():
            found.append(Submission(p.resolve(), p.resolve().parent.name, p.name))
        else:
            raise FileNotFoundError(f"no such file or folder: {arg}")
    unique = []
    for sub in found:
        if sub.path not in seen:
            seen.add(sub.path)
            unique.append(sub)
    return unique


def chapter_from_name(name):
    m = _CHAPTER_PREFIX.match(Path(name).name)
    return int(m.group(1)) if m else None


def exercises_for(filename, nb, chapter=None):
    """The exercises a notebook is graded on, and how they were found."""
    exercises = all_exercises()
    if chapter is not None:
        return [e for e in exercises if e.chapter == chapter], f"chapter {chapter} (--chapter)"
    ch = chapter_from_name(filename)
    if ch is not None and any(e.chapter == ch for e in exercises):
        return [e for e in exercises if e.chapter == ch], f"chapter {ch} (file name)"
    named = set()
    for cell in (nb or {}).get("cells", []) if isinstance(nb, dict) else []:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
        grade_id = str(meta.get("grade_id", "")) if isinstance(meta, dict) else ""
        named.update({grade_id, grade_id.removeprefix("check_")})
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        named.update(_DEF.findall(source))
        named.update(_CHECK.findall(source))
    chapters = sorted({REGISTRY[i].chapter for i in named if i in REGISTRY})
    if chapters:
        return ([e for e in exercises if e.chapter in chapters],
                f"chapter {', '.join(map(str, chapters))} (exercises named in the notebook)")
    return [], "no chapter: the file name does not start with a chapter number with exercises, " \
               "and the notebook names no registered exercise"


# ----------------------------------------------------------------- gradebook
def _atomic_write(path: Path, text: str):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Gradebook:
    """``DIR/gradebook.json`` (everything, for reruns) and ``DIR/gradebook.csv`` (the rows).

    One entry per submitted notebook, keyed by its resolved path.  Entries from
    earlier runs that this run does not regrade are kept, so grading a late
    submission adds to the same gradebook.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.json_path = self.folder / "gradebook.json"
        self.csv_path = self.folder / "gradebook.csv"
        self.entries = {}
        if self.json_path.exists():
            try:
                data = json.loads(self.json_path.read_text(encoding="utf-8"))
                if data.get("format") == FORMAT:
                    self.entries = {e["path"]: e for e in data["submissions"]}
            except (ValueError, KeyError, TypeError, AttributeError):
                print(f"warning: {self.json_path} is unreadable; starting a new gradebook",
                      file=sys.stderr)

    def put(self, entry):
        self.entries[entry["path"]] = entry

    def sorted_entries(self):
        return sorted(self.entries.values(), key=lambda e: (e["learner"], e["notebook"], e["path"]))

    def rows(self):
        return [row for e in self.sorted_entries() for row in e["rows"]]

    def csv_text(self):
        out = io.StringIO()
        w = csv.DictWriter(out, FIELDS, lineterminator="\n")
        w.writeheader()
        for row in self.rows():
            w.writerow({**row, "feedback": " ".join(row["feedback"].split())})
        return out.getvalue()

    def write(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "fields": list(FIELDS), "rows": self.rows(),
                "submissions": self.sorted_entries()}
        _atomic_write(self.json_path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        _atomic_write(self.csv_path, self.csv_text())

    def totals(self):
        """``{learner: (points, max_points)}``."""
        totals = {}
        for row in self.rows():
            p, m = totals.get(row["learner"], (0, 0))
            totals[row["learner"]] = (p + row["points"], m + row["max_points"])
        return totals


# ----------------------------------------------------------------- grading
def fingerprint(timeout, memory_mb, budget, chapter=None):
    """Changes whenever a regrade could give another result: bp_lib's sources or the options."""
    h = hashlib.sha256(f"{FORMAT};timeout={timeout};memory={memory_mb};budget={budget};"
                       f"chapter={chapter}".encode())
    root = Path(__file__).resolve().parents[1]
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _row(sub, exercise, points, max_points, feedback):
    return {"learner": sub.learner, "notebook": sub.notebook, "exercise": exercise,
            "points": points, "max_points": max_points, "feedback": feedback}


def _draw(exercises):
    """Fresh seeds and inputs for each exercise; the pickle the harness reads."""
    items, seeds = [], {}
    for ex in exercises:
        seed = int(np.random.SeedSequence().entropy)
        seeds[ex.id] = seed
        rng = np.random.default_rng(seed)
        cases = ex.cases(rng)
        try:
            pickle.dumps(cases)
            items.append({"id": ex.id, "cases": cases})
        except Exception:  # noqa: BLE001 — e.g. a lambda among the arguments
            items.append({"id": ex.id, "seed": seed, "trials": ex.trials})
    return pickle.dumps(items), seeds


def _sentence(text):
    text = str(text).rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def judge(exercise, seed, answer, fatal=None):
    """``(points, feedback)`` for one exercise from the answers the kernel sent back."""
    if answer is None:
        why = fatal or "the notebook sent back no answers"
        return 0, _sentence(f"✘ {exercise.id}: not graded — {why}")
    if "missing" in answer:
        return 0, _sentence(f"✘ {exercise.id}: {answer['missing']}")
    cases = iter(answer["cases"])
    stop = ("error", f"no answer for this case — {fatal}" if fatal else "no answer for this case")

    def outputs_for(args):
        return next(cases, stop)

    try:
        result = evaluate(exercise, outputs_for, seed)
    except Exception as exc:  # noqa: BLE001 — a bug in a reference: report, keep grading
        return 0, (f"✘ {exercise.id}: the grader failed on this exercise "
                   f"({type(exc).__name__}: {exc}); please report it")
    return (exercise.points if result.passed else 0), result.message


def _finish(sub, digest, fp, how, exercises, seeds, outcome):
    answers = decode_answers(outcome["answers"]) if outcome.get("answers") else {}
    fatal = outcome.get("fatal")
    rows = []
    for ex in exercises:
        answer = answers.get(ex.id) if outcome.get("answers") else None
        points, feedback = judge(ex, seeds[ex.id], answer, fatal)
        rows.append(_row(sub, ex.id, points, ex.points, feedback))
    notes = ([fatal] if fatal else []) + list(outcome.get("notes", []))
    if notes:
        rows.append(_row(sub, NOTEBOOK_ROW, 0, 0, "; ".join(notes)))
    return {"path": str(sub.path), "learner": sub.learner, "notebook": sub.notebook,
            "sha256": digest, "fingerprint": fp, "found_by": how,
            "seeds": {k: str(v) for k, v in seeds.items()},
            "seconds": round(outcome.get("seconds", 0.0), 2), "notes": notes, "rows": rows}


def _unreadable(sub, digest, fp, exercises, how, why):
    rows = [_row(sub, ex.id, 0, ex.points, _sentence(f"✘ {ex.id}: not graded — {why}"))
            for ex in exercises]
    rows.append(_row(sub, NOTEBOOK_ROW, 0, 0, why))
    return {"path": str(sub.path), "learner": sub.learner, "notebook": sub.notebook,
            "sha256": digest, "fingerprint": fp, "found_by": how, "seeds": {},
            "seconds": 0.0, "notes": [why], "rows": rows}


def _read_notebook(data):
    """The notebook as a dict, or a sentence saying why it is not one."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"the notebook is not UTF-8 text ({exc})"
    except ValueError as exc:
        return None, f"the notebook is not valid JSON ({exc}) — was it edited outside Jupyter?"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "the file is JSON but not a notebook (no list of cells)"
    if not isinstance(nb.get("nbformat", 4), int):
        return None, "the notebook's nbformat version is not a number"
    if nb.get("nbformat", 4) < 4:
        import nbformat
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = json.loads(nbformat.writes(nbformat.reads(data.decode(), as_version=4)))
        except Exception as exc:  # noqa: BLE001
            return None, f"the notebook's old format could not be converted ({exc})"
    return nb, None


def grade(paths, out="gradebook", jobs=None, timeout=60.0, memory_mb=1024, budget=300.0,
          regrade=False, chapter=None, log=sys.stderr):
    """Grade every notebook under ``paths``; return the :class:`Gradebook` (also written to ``out``)."""
    subs = find_submissions(paths)
    book = Gradebook(out)
    fp = fingerprint(timeout, memory_mb, budget, chapter)
    jobs = jobs or _cpu_count()
    n, done, reused = len(subs), 0, 0
    t0 = time.perf_counter()

    def report(sub, entry, tag):
        nonlocal done
        done += 1
        got = sum(r["points"] for r in entry["rows"])
        total = sum(r["max_points"] for r in entry["rows"])
        note = f" — {entry['notes'][0]}" if entry["notes"] else ""
        print(f"[{done}/{n}] {sub.label} {got}/{total} ({tag}){note}", file=log, flush=True)

    pending = []
    for sub in subs:
        try:
            data = sub.path.read_bytes()
        except OSError as exc:
            data = b""
            read_error = f"the file could not be read ({exc.strerror or exc})"
        else:
            read_error = None
        digest = hashlib.sha256(data).hexdigest()
        old = book.entries.get(str(sub.path))
        if (not regrade and old and old.get("sha256") == digest and old.get("fingerprint") == fp
                and old.get("learner") == sub.learner and old.get("notebook") == sub.notebook):
            reused += 1
            report(sub, old, "unchanged, grade kept")
            continue
        nb, why = (None, read_error) if read_error else _read_notebook(data)
        exercises, how = exercises_for(sub.path.name, nb, chapter)
        if nb is None:
            entry = _unreadable(sub, digest, fp, exercises, how, why)
        elif not exercises:
            entry = _unreadable(sub, digest, fp, [], how, f"not graded — {how}")
        else:
            inputs, seeds = _draw(exercises)
            job = {"notebook": nb, "inputs": inputs, "timeout": timeout, "budget": budget,
                   "memory_mb": memory_mb, "calls": sum(e.trials for e in exercises),
                   "ids": [e.id for e in exercises]}
            pending.append((sub, digest, how, exercises, seeds, job))
            continue
        book.put(entry)
        book.write()
        report(sub, entry, "not run")

    if pending:
        # Threads are enough: each one waits on its own kernel process, and the kernels
        # (where the learners' code runs) use the cores.
        with cf.ThreadPoolExecutor(max_workers=min(jobs, len(pending)),
                                   thread_name_prefix="bp-grade") as pool:
            futures = {pool.submit(run_notebook, p[-1]): p for p in pending}
            try:
                for fut in cf.as_completed(futures):
                    sub, digest, how, exercises, seeds, _ = futures[fut]
                    try:
                        outcome = fut.result()
                    except Exception as exc:  # noqa: BLE001 — a worker died: report this one
                        outcome = {"answers": None, "notes": [], "seconds": 0.0,
                                   "fatal": f"the grading worker failed ({type(exc).__name__}: {exc})"}
                    entry = _finish(sub, digest, fp, how, exercises, seeds, outcome)
                    book.put(entry)
                    book.write()
                    report(sub, entry, f"{entry['seconds']:.1f} s")
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                print(f"interrupted after {done} of {n}; {book.csv_path} holds every grade so far",
                      file=log, flush=True)
                raise
    book.write()
    print(f"graded {n} notebook{'s' if n != 1 else ''} ({reused} unchanged) in "
          f"{time.perf_counter() - t0:.1f} s with {jobs} worker{'s' if jobs != 1 else ''}",
          file=log, flush=True)
    return book


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bp_lib.grade",
        description="Grade learners' notebooks against bp_lib's exercise registry "
                    "(see docs/instructors.md).")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="notebooks, or folders holding one folder per learner")
    parser.add_argument("--out", default="gradebook", metavar="DIR",
                        help="where gradebook.csv and gradebook.json go (default: ./gradebook)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="notebooks graded at once (default: one per CPU core)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="time limit per cell and per call of a learner's function (default 60)")
    parser.add_argument("--notebook-timeout", type=float, default=300.0, metavar="S",
                        help="time for all of a notebook's cells; later cells are skipped (default 300)")
    parser.add_argument("--memory-mb", type=int, default=1024, metavar="N",
                        help="memory a kernel may take beyond a fresh kernel's (default 1024)")
    parser.add_argument("--chapter", type=int, default=None,
                        help="grade every notebook on this chapter's exercises, whatever its name")
    parser.add_argument("--regrade", action="store_true",
                        help="grade again even notebooks whose grade in the gradebook is current")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if min(args.timeout, args.notebook_timeout) <= 0 or args.memory_mb <= 0:
        parser.error("--timeout, --notebook-timeout and --memory-mb must be positive")
    try:
        book = grade(args.submissions, out=args.out, jobs=args.jobs, timeout=args.timeout,
                     memory_mb=args.memory_mb, budget=args.notebook_timeout,
                     regrade=args.regrade, chapter=args.chapter)
    except FileNotFoundError as exc:
        parser.error(str(exc))
    except KeyboardInterrupt:
        return 130
    totals = book.totals()
    if not totals:
        print("no graded notebooks found", file=sys.stderr)
        return 1
    width = max(len(k) for k in totals)
    for learner, (p, m) in sorted(totals.items()):
        print(f"{learner:<{width}}  {p:>4}/{m}")
    print(f"gradebook: {book.csv_path} and {book.json_path}")
    return 0
