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
import ast
import concurrent.futures as cf
import csv
import hashlib
import io
import json
import os
import pickle
import queue
import re
import stat
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exercises import REGISTRY, all_exercises, evaluate
from ..exercises.core import NOT_IMPLEMENTED, argument_names, graded_cases
from . import sandbox as sb
from .kernel import decode_answers, run_notebook

FORMAT = "bp_lib gradebook 1"
FIELDS = ("learner", "notebook", "exercise", "points", "max_points", "feedback")
NOTEBOOK_ROW = "(notebook)"     # the exercise column of a row about the notebook as a whole
_CHAPTER_PREFIX = re.compile(r"^(\d{1,2})(?!\d)")
_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.M)
_CHECK = re.compile(r"check\(\s*['\"]([A-Za-z_]\w*)['\"]")
MAX_NOTEBOOK_BYTES = 64 * 2 ** 20    # a larger file is not read (a notebook of this course is < 1 MB)
MAX_TEXT = 2000                      # longest feedback or note kept from a submission
UNTRUSTED_NOTE = ("graded WITHOUT isolation (--trusted): the notebook's code ran with the "
                  "grader's rights")


def clean(text, limit=MAX_TEXT):
    """Text from a submission made safe to store: valid UTF-8 (no lone surrogates), one line, bounded."""
    text = str(text).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    text = " ".join(text.split()) if ("\n" in text or "\r" in text or "\t" in text) else text
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _csv_cell(value):
    """A CSV field a spreadsheet will not run: a leading = + - @ (or tab, CR) is quoted with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


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
    (``.ipynb_checkpoints``) are skipped.  Symbolic links inside a class folder
    are not followed: a link is listed as a submission of its own (and refused
    when graded), so it can neither take a classmate's file nor hide it.
    """
    found, seen = [], set()
    for arg in paths:
        p = Path(os.path.abspath(arg))
        if p.is_dir():
            for folder, dirs, files in os.walk(p, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.endswith(".ipynb") or name.startswith("."):
                        continue
                    nb = Path(folder) / name
                    rel = nb.relative_to(p)
                    if len(rel.parts) >= 2:
                        sub = Submission(nb, clean(rel.parts[0], 200), clean("/".join(rel.parts[1:]), 400))
                    else:
                        sub = Submission(nb, clean(p.name, 200), clean(rel.name, 400))
                    found.append(sub)
                # a link to a folder is listed too, so that it is refused rather than silently skipped
                for d in list(dirs):
                    if (Path(folder) / d).is_symlink():
                        link = Path(folder) / d
                        rel = link.relative_to(p)
                        learner = rel.parts[0] if len(rel.parts) >= 2 else p.name
                        found.append(Submission(link, clean(learner, 200), clean("/".join(rel.parts[1:]) or d, 400)))
        elif p.is_file() or p.is_symlink():
            found.append(Submission(p, clean(p.parent.name, 200), clean(p.name, 400)))
        else:
            raise FileNotFoundError(f"no such file or folder: {arg}")
    unique = []
    for sub in found:
        if sub.path not in seen:
            seen.add(sub.path)
            unique.append(sub)
    return unique


def read_submission(path: Path):
    """``(bytes, None)`` or ``(None, why)``: only a regular file, never through a link, bounded."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if os.path.islink(path):
            return None, "the submission is a symbolic link, not a notebook of its own: not graded"
        return None, f"the file could not be read ({exc.strerror or exc})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "the submission is not a regular file (a pipe, a device or a folder?): not graded"
        if info.st_size > MAX_NOTEBOOK_BYTES:
            return None, (f"the notebook is {info.st_size / 2 ** 20:.0f} MB, more than the "
                          f"{MAX_NOTEBOOK_BYTES // 2 ** 20} MB the grader reads: not graded")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)
        if len(data) > MAX_NOTEBOOK_BYTES:
            return None, "the notebook grew while it was read: not graded"
        return data, None
    except OSError as exc:
        return None, f"the file could not be read ({exc.strerror or exc})"
    finally:
        os.close(fd)


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


def _source(cell):
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(x for x in source if isinstance(x, str))
    return source if isinstance(source, str) else ""


def _top_level_function(source, name):
    """The ``def name(`` at the top level of a cell's source, or ``None`` (also for code that does not parse)."""
    if f"def {name}" not in source or len(source) > 200_000:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    found = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            found = node
    return found


def _is_stub(fn):
    """True when a function's body only raises NotImplementedError (the learner's copy, unanswered)."""
    body = [n for n in fn.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    body = [n for n in body if not isinstance(n, ast.Pass)]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc
    exc = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def exercise_cells(nb, exercises):
    """``{exercise id: (source, why)}``: the cell that answers each exercise, or why there is none.

    The cell nbgrader marks with the exercise's ``grade_id`` when it defines
    the function at its top level; otherwise the last code cell that does.
    Only that cell's function is judged: a function defined elsewhere, or
    swapped in by other code of the notebook, earns nothing.
    """
    code = [c for c in (nb.get("cells", []) if isinstance(nb, dict) else [])
            if isinstance(c, dict) and c.get("cell_type") == "code"]
    out = {}
    for ex in exercises:
        chosen = None
        for cell in code:
            meta = cell.get("metadata", {})
            meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id == ex.id and _top_level_function(_source(cell), ex.id):
                chosen = _source(cell)
        if chosen is None:
            for cell in code:
                if _top_level_function(_source(cell), ex.id):
                    chosen = _source(cell)
        if chosen is None:
            out[ex.id] = (None, f"no cell of the notebook defines `def {ex.id}(…)` at its top level "
                                "(its cell deleted or renamed?)")
        elif _is_stub(_top_level_function(chosen, ex.id)):
            out[ex.id] = (None, NOT_IMPLEMENTED)
        else:
            out[ex.id] = (chosen, None)
    return out


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
            w.writerow({k: _csv_cell(v) for k, v in
                        {**row, "feedback": " ".join(row["feedback"].split())}.items()})
        return out.getvalue()

    def write(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "fields": list(FIELDS), "rows": self.rows(),
                "submissions": self.sorted_entries()}
        _atomic_write(self.json_path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        _atomic_write(self.csv_path, self.csv_text())

    def totals(self):
        """``{learner: (points, max_points)}``, each exercise counted once per learner (the best try).

        A learner who hands in several copies of a chapter gets its points once.
        """
        best = {}
        for row in self.rows():
            key = (row["learner"], row["exercise"])
            if row["exercise"] == NOTEBOOK_ROW:
                continue
            p, m = best.get(key, (0, 0))
            best[key] = (max(p, row["points"]), max(m, row["max_points"]))
        totals = {}
        for (learner, _), (p, m) in best.items():
            tp, tm = totals.get(learner, (0, 0))
            totals[learner] = (tp + p, tm + m)
        for row in self.rows():
            totals.setdefault(row["learner"], (0, 0))
        return totals


# ----------------------------------------------------------------- grading
def fingerprint(timeout, memory_mb, budget, chapter=None, isolation="sandbox"):
    """Changes whenever a regrade could give another result: bp_lib's files or the options."""
    h = hashlib.sha256(f"{FORMAT};timeout={timeout};memory={memory_mb};budget={budget};"
                       f"chapter={chapter};isolation={isolation}".encode())
    root = Path(__file__).resolve().parents[1]
    for f in sorted(root.rglob("*")):
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _row(sub, exercise, points, max_points, feedback):
    return {"learner": sub.learner, "notebook": sub.notebook, "exercise": exercise,
            "points": points, "max_points": max_points, "feedback": clean(feedback)}


def _key(sub):
    return clean(str(sub.path), 4096)


def _draw(exercises, sources=None):
    """Fresh seeds and inputs for each exercise; the pickle the harness reads.

    ``sources``: the answering cell of each exercise (:func:`exercise_cells`);
    an exercise without one is not sent to the kernel.
    """
    items, seeds = [], {}
    for ex in exercises:
        if sources is not None and sources[ex.id][0] is None:
            seeds[ex.id] = 0
            continue
        seed = int(np.random.SeedSequence().entropy)
        seeds[ex.id] = seed
        cases = graded_cases(ex, seed)
        try:
            pickle.dumps(cases)
            items.append({"id": ex.id, "cases": cases,
                          "source": sources[ex.id][0] if sources is not None else None,
                          "allowed": tuple(ex.allowed), "may_change": tuple(ex.may_change),
                          "names": argument_names(ex.signature)})
        except Exception:  # noqa: BLE001 — e.g. a lambda among the arguments
            items.append({"id": ex.id, "seed": seed, "trials": ex.trials,
                          "allowed": tuple(ex.allowed), "may_change": tuple(ex.may_change),
                          "names": argument_names(ex.signature)})
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
        result = evaluate(exercise, outputs_for, seed, graded_cases(exercise, seed))
    except Exception as exc:  # noqa: BLE001 — a bug in a reference: report, keep grading
        return 0, (f"✘ {exercise.id}: the grader failed on this exercise "
                   f"({type(exc).__name__}: {exc}); please report it")
    return (exercise.points if result.passed else 0), result.message


def _finish(sub, digest, fp, how, exercises, seeds, outcome, sources=None, extra_notes=()):
    answers = decode_answers(outcome["answers"]) if outcome.get("answers") else {}
    fatal = outcome.get("fatal")
    rows = []
    for ex in exercises:
        if sources is not None and sources[ex.id][0] is None:
            points, feedback = 0, _sentence(f"✘ {ex.id}: {sources[ex.id][1]}")
        else:
            answer = answers.get(ex.id) if outcome.get("answers") else None
            points, feedback = judge(ex, seeds[ex.id], answer, fatal)
        rows.append(_row(sub, ex.id, points, ex.points, feedback))
    notes = [clean(n) for n in ([fatal] if fatal else []) + list(outcome.get("notes", []))
             + list(extra_notes)]
    if notes:
        rows.append(_row(sub, NOTEBOOK_ROW, 0, 0, "; ".join(notes)))
    return {"path": _key(sub), "learner": sub.learner, "notebook": sub.notebook,
            "sha256": digest, "fingerprint": fp, "found_by": how,
            "seeds": {k: str(v) for k, v in seeds.items()},
            "seconds": round(outcome.get("seconds", 0.0), 2), "notes": notes, "rows": rows}


def _unreadable(sub, digest, fp, exercises, how, why):
    why = clean(why)
    rows = [_row(sub, ex.id, 0, ex.points, _sentence(f"✘ {ex.id}: not graded — {why}"))
            for ex in exercises]
    rows.append(_row(sub, NOTEBOOK_ROW, 0, 0, why))
    return {"path": _key(sub), "learner": sub.learner, "notebook": sub.notebook,
            "sha256": digest, "fingerprint": fp, "found_by": how, "seeds": {},
            "seconds": 0.0, "notes": [why], "rows": rows}


def _read_notebook(data):
    """The notebook as a dict, or a sentence saying why it is not one."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"the notebook is not UTF-8 text ({exc})"
    except RecursionError:
        return None, "the notebook's JSON is nested too deeply to read"
    except ValueError as exc:
        return None, f"the notebook is not valid JSON ({exc}) — was it edited outside Jupyter?"
    if not isinstance(nb, dict):
        return None, "the file is JSON but not a notebook"
    version = nb.get("nbformat", 4)
    if not isinstance(version, int) or isinstance(version, bool):
        return None, "the notebook's nbformat version is not a number"
    if version < 4:
        import nbformat
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                nb = json.loads(nbformat.writes(nbformat.reads(data.decode("utf-8"), as_version=4)))
        except (Exception, RecursionError) as exc:  # noqa: BLE001
            return None, f"the notebook's old format (nbformat {version}) could not be converted ({exc})"
    if not isinstance(nb.get("cells"), list):
        return None, "the file is JSON but not a notebook (no list of cells)"
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            return None, f"cell {i + 1} of the notebook is not a cell (a {type(cell).__name__})"
        source = cell.get("source", "")
        if not (isinstance(source, str) or (isinstance(source, list)
                                             and all(isinstance(x, str) for x in source))):
            return None, f"cell {i + 1}'s source is neither text nor a list of lines"
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = {}
    return nb, None


def _setup_isolation(trusted, jobs, timeout, budget, calls_max, workdir):
    """The sandbox settings shared by every submission of a run, or ``None`` when trusted."""
    if trusted:
        return None
    why = sb.probe()
    if why:
        raise sb.SandboxUnavailable(
            f"cannot isolate the submissions: {why}. Install bubblewrap (Debian: apt-get install "
            "bubblewrap) on a Linux machine, or, only for notebooks you trust, pass --trusted "
            "to grade without isolation")
    uid_base, uid_lock = sb.claim_uids(jobs) if os.geteuid() == 0 else (None, None)
    return {"slots": _slots(jobs), "uid_base": uid_base, "uid_lock": uid_lock,
            "fontlist": sb.matplotlib_font_cache(),
            "workdir": workdir, "libraries": {}, "overlay": sb.library_overlay(),
            "limits": sb.Limits(cpu_seconds=int(budget + timeout * (calls_max + 2) + 60))}


def _slots(n):
    q = queue.Queue()
    for i in range(n):
        q.put(i)
    return q


def _library_for(isolation, inputs):
    """The reduced bp_lib for a submission: what the inputs need, built once per set of modules."""
    visible = frozenset(sb.visible_modules(sb.modules_needed_by(inputs)))
    libs = isolation["libraries"]
    if visible not in libs:
        dest = Path(isolation["workdir"]) / f"lib{len(libs)}"
        libs[visible] = str(sb.build_library(dest, set(visible)))
    return {"slots": isolation["slots"], "uid_base": isolation["uid_base"],
            "library": libs[visible], "overlay": isolation["overlay"], "limits": isolation["limits"],
            "fontlist": isolation["fontlist"]}


def grade(paths, out="gradebook", jobs=None, timeout=60.0, memory_mb=1024, budget=300.0,
          regrade=False, chapter=None, log=sys.stderr, trusted=False):
    """Grade every notebook under ``paths``; return the :class:`Gradebook` (also written to ``out``).

    Each notebook runs in a sandbox of its own (:mod:`.sandbox`).  Where no
    sandbox can be set up, :class:`~.sandbox.SandboxUnavailable` is raised
    before anything runs, unless ``trusted=True``: then the notebooks run
    without isolation and every entry of the gradebook says so.
    """
    subs = find_submissions(paths)
    book = Gradebook(out)
    jobs = jobs or _cpu_count()
    with tempfile.TemporaryDirectory(prefix="bp_grade_run_") as workdir:
        os.chmod(workdir, 0o755)
        chapters = {e.chapter for e in all_exercises()}
        # graded_cases: the check cell's cases and as many fresh ones
        calls = max([sum(2 * e.trials for e in all_exercises() if e.chapter == c)
                     for c in chapters] + [1])
        isolation = _setup_isolation(trusted, jobs, timeout, budget, calls, workdir)
        try:
            return _grade(subs, book, jobs, timeout, memory_mb, budget, regrade, chapter, log,
                          isolation)
        finally:
            if isolation and isolation["uid_lock"] is not None:
                isolation["uid_lock"].close()


def _grade(subs, book, jobs, timeout, memory_mb, budget, regrade, chapter, log, isolation):
    fp = fingerprint(timeout, memory_mb, budget, chapter,
                     "sandbox" if isolation else "none (--trusted)")
    extra = [] if isolation else [UNTRUSTED_NOTE]
    n, done, reused = len(subs), 0, 0
    t0 = time.perf_counter()

    def report(sub, entry, tag):
        nonlocal done
        done += 1
        got = sum(r["points"] for r in entry["rows"])
        total = sum(r["max_points"] for r in entry["rows"])
        note = f" — {entry['notes'][0][:200]}" if entry["notes"] else ""
        print(f"[{done}/{n}] {sub.label} {got}/{total} ({tag}){note}", file=log, flush=True)

    pending = []
    for sub in subs:
        data, read_error = read_submission(sub.path)
        digest = hashlib.sha256(data or b"").hexdigest()
        old = book.entries.get(_key(sub))
        if (not regrade and old and old.get("sha256") == digest and old.get("fingerprint") == fp
                and old.get("learner") == sub.learner and old.get("notebook") == sub.notebook
                and data is not None):
            reused += 1
            report(sub, old, "unchanged, grade kept")
            continue
        try:
            nb, why = (None, read_error) if read_error else _read_notebook(data)
            exercises, how = exercises_for(sub.path.name, nb, chapter)
            sources = exercise_cells(nb, exercises) if nb is not None else None
        except (Exception, RecursionError) as exc:  # noqa: BLE001 — one submission, not the class
            nb, why, exercises, how = None, f"the notebook could not be read ({type(exc).__name__})", \
                [], "unknown"
        if nb is None:
            entry = _unreadable(sub, digest, fp, exercises, how, why)
        elif not exercises:
            entry = _unreadable(sub, digest, fp, [], how, f"not graded — {how}")
        else:
            inputs, seeds = _draw(exercises, sources)
            job = {"notebook": nb, "inputs": inputs, "timeout": timeout, "budget": budget,
                   "memory_mb": memory_mb, "calls": sum(e.trials for e in exercises),
                   "ids": [e.id for e in exercises if sources[e.id][0] is not None],
                   "sandbox": _library_for(isolation, inputs) if isolation else None}
            pending.append((sub, digest, how, exercises, seeds, sources, job))
            continue
        if extra and nb is not None:
            entry["notes"] += extra
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
                    sub, digest, how, exercises, seeds, sources, _ = futures[fut]
                    try:
                        outcome = fut.result()
                    except Exception as exc:  # noqa: BLE001 — a worker died: report this one
                        outcome = {"answers": None, "notes": [], "seconds": 0.0,
                                   "fatal": f"the grading worker failed ({type(exc).__name__}: {exc})"}
                    entry = _finish(sub, digest, fp, how, exercises, seeds, outcome, sources, extra)
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
          f"{time.perf_counter() - t0:.1f} s with {jobs} worker{'s' if jobs != 1 else ''}"
          f"{'' if isolation else ' — WITHOUT isolation (--trusted)'}",
          file=log, flush=True)
    return book


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bp_lib.grade", allow_abbrev=False,
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
    parser.add_argument("--trusted", action="store_true",
                        help="run the notebooks WITHOUT a sandbox, with your rights: only for "
                             "submissions you trust, or where bubblewrap cannot run; every "
                             "gradebook entry then says so")
    args = parser.parse_args(argv)
    if args.out.endswith(".ipynb"):
        parser.error(f"--out {args.out!r} names a notebook, not a folder: is there a file called "
                     "'--out=…' among the submissions? Pass submissions as ./*.ipynb or after --")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if min(args.timeout, args.notebook_timeout) <= 0 or args.memory_mb <= 0:
        parser.error("--timeout, --notebook-timeout and --memory-mb must be positive")
    try:
        book = grade(args.submissions, out=args.out, jobs=args.jobs, timeout=args.timeout,
                     memory_mb=args.memory_mb, budget=args.notebook_timeout,
                     regrade=args.regrade, chapter=args.chapter, trusted=args.trusted)
    except FileNotFoundError as exc:
        parser.error(str(exc))
    except sb.SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
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
