"""Hostile submissions, graded by the real grader next to honest students.

One class is graded once (a module fixture): three honest students — one of them
handing in an nbformat-3 notebook — and a submission for each attack a class of
strangers could send.  Every test then asserts three things about its attack:
the attacker gains nothing, every honest student keeps full marks, and the
gradebook says what happened.  The course's own files, the environment's
packages and the grader's home are byte-identical afterwards, and nothing a
submission started is still running.

The sandbox must work here (``make test`` installs bubblewrap): a machine where it
does not fails these tests rather than skipping them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from bp_lib.exercises import all_exercises
from bp_lib.grading import grade, sandbox
from bp_lib.grading.grader import NOTEBOOK_ROW, UNTRUSTED_NOTE, main

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = 3
SOLUTION = next(iter(sorted((ROOT / "solutions").glob(f"{CHAPTER:02d}_*.ipynb"))), None)
NAME = SOLUTION.name if SOLUTION else "03_output_delta.ipynb"
IDS = [e.id for e in all_exercises() if e.chapter == CHAPTER]
FULL = sum(e.points for e in all_exercises() if e.chapter == CHAPTER)
SECRET = "sekrit-7f3a9c"           # in the grader's environment; must never reach a gradebook
MARKER = "bp-attack-survivor"      # in the command line of every process an attacker leaves behind


def _solved_cells():
    nb = nbformat.read(SOLUTION, as_version=4)
    return [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def _notebook(path, *sources, answered=None):
    """A notebook of code cells; ``answered`` maps exercise ids to their cells (with nbgrader ids)."""
    cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom bp_lib import activations\n"
                                       "from bp_lib.exercises import check")]    # as a chapter does
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    for ex_id, source in (answered or {}).items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": False, "grade_id": ex_id, "locked": False,
                                     "schema_version": 3, "solution": True, "task": False}
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _stubs():
    return {i: f"def {i}(*args):\n    raise NotImplementedError()\n" for i in IDS}


def _tree_digest(root, content=True):
    """One hash of every file below ``root`` (path and bytes, or path, size and mtime), links as links."""
    h = hashlib.sha256()
    root = Path(root)
    if not root.exists():
        return "absent"
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            p = Path(folder) / name
            h.update(str(p).encode())
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif content:
                try:
                    h.update(p.read_bytes())
                except OSError:
                    h.update(b"unreadable")
            else:
                st = p.stat()
                h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _protected():
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    # (not all of ~/.ipython: kernels outside this test keep their history there)
    return [ROOT / "bp_lib", ROOT / "solutions", ROOT / "chapters", ROOT / "tools",
            site, Path.home() / ".ipython" / "profile_default" / "startup", Path.home() / ".jupyter"]


def _survivors():
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if MARKER.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


class _Listener:
    """A TCP server on the grader's loopback that counts who reaches it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


# ----------------------------------------------------------------- the attacks
def _attacks(klass, out, port):
    """``{learner: (cells, answered)}`` of every hostile notebook (see each test for its claim)."""
    site = next(p for p in sys.path if p.endswith("site-packages"))
    steal = (
        "import glob, json, os\n"
        "_stolen = {}\n"
        f"for _p in glob.glob({str(klass)!r} + '/**/*.ipynb', recursive=True) + "
        "glob.glob('/tmp/**/*.ipynb', recursive=True) + "
        "glob.glob(os.path.expanduser('~') + '/../../**/*.ipynb', recursive=True):\n"
        "    if _p.endswith('submission.ipynb'):\n"
        "        continue\n"
        "    try:\n"
        "        for _c in json.load(open(_p))['cells']:\n"
        "            if _c['cell_type'] == 'code':\n"
        "                exec(''.join(_c['source']), _stolen)\n"
        "    except BaseException:\n"
        "        pass\n")
    vandal = (
        "import os, glob\n"
        "_tried = []\n"
        f"for _target in [{str(klass / 'alice' / NAME)!r}, {str(out / 'gradebook.csv')!r},\n"
        f"                {str(ROOT / 'bp_lib' / 'exercises' / 'core.py')!r},\n"
        f"                {str(ROOT / 'bp_lib' / '__pycache__' / 'delta.cpython-311.pyc')!r},\n"
        f"                {str(Path(site) / 'zz_attack.pth')!r},\n"
        f"                {str(Path.home() / '.ipython/profile_default/startup/00-attack.py')!r},\n"
        "                os.path.expanduser('~/.ipython/profile_default/startup/00-attack.py')]:\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(_target), exist_ok=True)\n"
        "        open(_target, 'w').write('import os; os.system(\"touch /tmp/pwned\")\\n')\n"
        "        _tried.append('wrote ' + _target)\n"
        "    except OSError as e:\n"
        "        _tried.append(type(e).__name__)\n")
    forge_script = ("import time\n"
                    "for _ in range(200):\n"
                    "    try:\n"
                    f"        open({str(out / 'gradebook.csv')!r}, 'w').write('learner\\nforger\\n')\n"
                    "    except OSError:\n"
                    "        pass\n"
                    "    time.sleep(0.1)\n")
    forger = ("import subprocess, sys\n"
              f"_forge = {forge_script!r}\n"
              "for _ in range(50):\n"
              f"    subprocess.Popen([sys.executable, '-c', _forge, {MARKER!r}], start_new_session=True,\n"
              "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n")
    hook = (
        "exec = lambda *args, **kwargs: None\n"
        "compile = lambda *args, **kwargs: None\n"
        "_answers = {}\n"
        "import builtins as _b\n"
        "_real_exec = _b.exec\n"
        f"_real_exec({chr(10).join(_solved_cells())!r}, _answers)\n"
        "def _swap(*args, **kwargs):\n"
        "    get_ipython().user_ns.update({k: v for k, v in _answers.items() if callable(v)})\n"
        "get_ipython().events.register('pre_run_cell', _swap)\n"
        "get_ipython().events.register('pre_execute', _swap)\n")
    spy = (
        "def _spy():\n"
        "    import os, socket\n"
        "    seen = []\n"
        "    try:\n"
        f"        socket.create_connection(('127.0.0.1', {port}), timeout=1).close()\n"
        "        seen.append('CONNECTED')\n"
        "    except OSError as e:\n"
        "        seen.append('no connection')\n"
        f"    for path in [{str(SOLUTION)!r}, {str(ROOT / 'bp_lib' / 'delta.py')!r},\n"
        "                 '/etc/shadow', '/root/.bash_history']:\n"
        "        try:\n"
        "            seen.append('<<read>> ' + open(path).read()[:100])\n"
        "        except OSError as e:\n"
        "            seen.append(os.path.basename(path) + ': ' + type(e).__name__)\n"
        "    seen.append('pids ' + str(sum(p.isdigit() for p in os.listdir('/proc'))))\n"
        "    seen.append('env ' + ','.join(sorted(os.environ)))\n"
        "    import bp_lib\n"
        "    seen.append(open(os.path.join(os.path.dirname(bp_lib.__file__), 'delta.py')).read()[:150])\n"
        "    return ' | '.join(seen)\n")
    killer = (
        "import os, signal, glob\n"
        "for _f in glob.glob('/tmp/**/kernel*.json', recursive=True) + glob.glob('/run/user/*/jupyter/*.json'):\n"
        "    try:\n"
        "        os.remove(_f)\n"
        "    except OSError:\n"
        "        pass\n"
        "for _pid in range(2, 4096):\n"
        "    if _pid != os.getpid():\n"
        "        try:\n"
        "            os.kill(_pid, signal.SIGKILL)\n"
        "        except OSError:\n"
        "            pass\n")
    spawner = (
        "import subprocess, sys\n"
        "_children = []\n"
        "try:\n"
        "    for _ in range(400):\n"
        f"        _children.append(subprocess.Popen(['sleep', '30', {MARKER!r}]))\n"
        "except OSError as e:\n"
        "    _error = type(e).__name__\n")
    fifo_script = ("import os, time\n"
                   "p = os.path.join(os.path.expanduser('~'), '..', 'channel', 'answers.json')\n"
                   "for _ in range(600):\n"
                   "    try:\n"
                   "        os.remove(p)\n"
                   "    except OSError:\n"
                   "        pass\n"
                   "    try:\n"
                   "        os.mkfifo(p)\n"
                   "    except OSError:\n"
                   "        pass\n"
                   "    time.sleep(0.01)\n")
    fifo = ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', {fifo_script!r}, {MARKER!r}], "
            "start_new_session=True)\n")
    sparse = (
        "import os\n"
        "_p = os.path.join(os.path.expanduser('~'), '..', 'channel', 'answers.json')\n"
        "import signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "try:\n"
        "    with open(_p, 'wb') as _f:\n"
        "        _f.truncate(3 * 2 ** 30)\n"
        "    _sparse = 'made'\n"
        "except OSError as e:\n"
        "    _sparse = type(e).__name__\n")
    stubborn = ("while True:\n"
                "    try:\n"
                "        while True:\n"
                "            pass\n"
                "    except BaseException:\n"
                "        pass\n")
    first = IDS[0]
    return {
        "copycat": ([steal], {i: f"def {i}(*args):\n    return _stolen[{i!r}](*args)\n" for i in IDS}),
        "vandal": ([vandal], _stubs()),
        "forger": ([forger], _stubs()),
        "hooker": ([hook], _stubs()),
        "hooker_wrong": ([hook], {i: f"def {i}(*args):\n    return args[0]\n" for i in IDS}),
        "librarian": ([], {i: (f"def {i}(*args):\n    import bp_lib.delta, bp_lib.losses\n"
                                f"    return bp_lib.delta.output_delta(*args)\n") for i in IDS}),
        "spy": ([spy], {first: f"def {first}(*args):\n    raise RuntimeError(_spy())\n"}),
        "killer": ([killer], _stubs()),
        "spawner": ([spawner], {first: f"def {first}(*args):\n"
                                       "    raise RuntimeError(f'spawned {len(_children)}')\n"}),
        "fifo": ([fifo], _stubs()),
        "sparse": ([sparse], {first: f"def {first}(*args):\n    raise RuntimeError(_sparse)\n"}),
        "bigmessage": ([], {first: f"def {first}(*args):\n    raise ValueError('x' * 60_000_000)\n"}),
        "surrogate": ([], {first: f"def {first}(*args):\n    raise ValueError('bad \\udcff text')\n"}),
        "stubborn": ([stubborn], _stubs()),
    }


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    why = sandbox.probe()
    assert why is None, f"the grader's sandbox cannot run here: {why}"
    if SOLUTION is None:
        pytest.fail(f"solutions/{CHAPTER:02d}_*.ipynb is missing")
    tmp = tmp_path_factory.mktemp("hostile")
    klass, out = tmp / "class", tmp / "gradebook"
    solved = _solved_cells()
    for honest in ("alice", "bob"):
        _notebook(klass / honest / NAME, *solved)
    carol = _notebook(tmp / "carol.ipynb", *solved)          # honest, saved as nbformat 3
    (klass / "carol").mkdir(parents=True)
    (klass / "carol" / NAME).write_text(
        nbformat.writes(nbformat.read(carol, as_version=4), version=3), encoding="utf-8")
    listener = _Listener()
    for learner, (cells, answered) in _attacks(klass, out, listener.port).items():
        _notebook(klass / learner / NAME, *cells, answered=answered)
    # Submissions that are not notebooks the grader could trust to parse.
    (klass / "nested").mkdir()
    (klass / "nested" / NAME).write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    (klass / "badsource").mkdir()
    (klass / "badsource" / NAME).write_text(json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
         "cells": [{"cell_type": "code", "source": [1, 2], "metadata": {}, "outputs": []}]}))
    (klass / "pipe").mkdir()
    os.mkfifo(klass / "pipe" / NAME)
    # Links: to a classmate's notebook and to the course's own solution.
    (klass / "mallory").mkdir()
    (klass / "mallory" / NAME).symlink_to(klass / "alice" / NAME)
    (klass / "mallory2").mkdir()
    (klass / "mallory2" / NAME).symlink_to(SOLUTION)
    # Five copies of one chapter; names a spreadsheet or a shell would misread.
    for k in range(5):
        _notebook(klass / "eve" / f"{CHAPTER:02d}_copy{k}.ipynb", *solved)
    for odd in ("=HYPERLINK(1)", "-rf", "a b", "ü ..", "@cmd"):
        _notebook(klass / odd / NAME, *solved)
    os.mkdir(os.fsencode(klass) + b"/caf\xe9")
    _notebook(Path(os.fsdecode(os.fsencode(klass) + b"/caf\xe9")) / NAME, *solved)
    _notebook(klass / "dash" / "--out=x.ipynb", *solved)

    before = {str(p): _tree_digest(p, "site-packages" not in str(p)) for p in _protected()}
    os.environ["BP_ATTACK_SECRET"] = SECRET
    log = io.StringIO()
    t0 = time.perf_counter()
    try:
        book = grade([klass], out=out, jobs=2, timeout=3, budget=40, memory_mb=400, log=log)
    finally:
        os.environ.pop("BP_ATTACK_SECRET", None)
    seconds = time.perf_counter() - t0
    time.sleep(2)                      # anything left behind would act now
    after = {str(p): _tree_digest(p, "site-packages" not in str(p)) for p in _protected()}
    listener.close()
    on_disk = (out / "gradebook.csv").read_text(encoding="utf-8")
    return {"book": book, "klass": klass, "out": out, "log": log.getvalue(), "seconds": seconds,
            "before": before, "after": after, "listener": listener, "on_disk": on_disk,
            "survivors": _survivors()}


def _rows(book, learner, notebook=NAME):
    rows = [r for r in book.rows() if r["learner"] == learner and r["notebook"] == notebook]
    assert rows, f"no rows for {learner}/{notebook}"
    ex = {r["exercise"]: r for r in rows if r["exercise"] != NOTEBOOK_ROW}
    note = next((r["feedback"] for r in rows if r["exercise"] == NOTEBOOK_ROW), "")
    return ex, note


def _earned(book, learner, notebook=NAME):
    return sum(r["points"] for r in _rows(book, learner, notebook)[0].values())


def test_honest_students_keep_full_marks(hostile_class):
    book = hostile_class["book"]
    for learner in ("alice", "bob", "carol"):        # carol's notebook is nbformat 3
        assert _earned(book, learner) == FULL, _rows(book, learner)
        assert book.totals()[learner] == (FULL, FULL)
    print(f"\nhostile class: {len(book.entries)} notebooks in {hostile_class['seconds']:.1f} s")


def test_course_files_environment_and_home_are_unchanged(hostile_class):
    changed = [p for p, d in hostile_class["before"].items() if hostile_class["after"][p] != d]
    assert not changed, f"a submission changed {changed}"
    assert not Path("/tmp/pwned").exists()
    _, note = _rows(hostile_class["book"], "vandal")
    assert _earned(hostile_class["book"], "vandal") == 0


def test_nothing_a_submission_started_is_still_running(hostile_class):
    assert hostile_class["survivors"] == [], "processes left by submissions outlived grading"


def test_copying_a_classmate_finds_nothing(hostile_class):
    rows, _ = _rows(hostile_class["book"], "copycat")
    assert all(r["points"] == 0 for r in rows.values())
    assert all("KeyError" in r["feedback"] for r in rows.values()), \
        [r["feedback"] for r in rows.values()]


def test_the_gradebook_cannot_be_forged(hostile_class):
    assert _earned(hostile_class["book"], "forger") == 0
    on_disk = hostile_class["on_disk"]
    assert "forger" in on_disk and on_disk.startswith("learner,notebook,exercise")
    rows = list(csv.DictReader(io.StringIO(on_disk)))
    assert sum(int(r["points"]) for r in rows if r["learner"] == "alice") >= FULL


def test_hooks_and_shadowed_builtins_earn_nothing(hostile_class):
    for learner in ("hooker", "hooker_wrong"):
        rows, _ = _rows(hostile_class["book"], learner)
        assert all(r["points"] == 0 for r in rows.values()), (learner, rows)
    rows, _ = _rows(hostile_class["book"], "hooker")
    assert all("not implemented yet" in r["feedback"] for r in rows.values())


def test_the_library_is_hidden_while_graded(hostile_class):
    rows, _ = _rows(hostile_class["book"], "librarian")
    assert all(r["points"] == 0 for r in rows.values())
    assert all("hidden while your notebook is graded" in r["feedback"] for r in rows.values()), rows


def test_a_spy_sees_nothing_of_the_grader(hostile_class):
    rows, _ = _rows(hostile_class["book"], "spy")
    text = hostile_class["on_disk"] + json.dumps(rows)
    assert SECRET not in text
    assert hostile_class["listener"].connections == 0
    feedback = rows[IDS[0]]["feedback"]
    assert "no connection" in feedback
    # no source of bp_lib, of solutions/ or of the grader: only the stub that stands for delta.py
    assert "import numpy" not in feedback and "def output_delta" not in feedback
    assert "from bp_lib._hidden import Hidden" in feedback     # what it found instead: the stub
    assert "<<read>>" not in feedback, feedback
    for name in ("shadow", ".bash_history"):
        assert f"{name}: FileNotFoundError" in feedback or f"{name}: PermissionError" in feedback
    assert f"{SOLUTION.name}: FileNotFoundError" in feedback and "delta.py: FileNotFoundError" in feedback
    pids = int(feedback.split("pids ")[1].split()[0])
    assert pids <= 4, feedback          # bwrap's init, the kernel, perhaps a helper: nothing else
    assert "BP_ATTACK_SECRET" not in feedback


def test_killing_and_spawning_stay_inside_the_sandbox(hostile_class):
    book = hostile_class["book"]
    assert _earned(book, "killer") == 0
    rows, _ = _rows(book, "spawner")
    spawned = int(rows[IDS[0]]["feedback"].split("spawned ")[1].split()[0].rstrip("."))
    assert spawned < sandbox.Limits(cpu_seconds=1).processes, spawned


def test_hostile_files_stop_nobody(hostile_class):
    book = hostile_class["book"]
    for learner, words in (("nested", "nested too deeply"), ("badsource", "neither text nor"),
                           ("pipe", "not a regular file")):
        rows, note = _rows(book, learner)
        assert words in note, (learner, note)
        assert all(r["points"] == 0 for r in rows.values())
    for learner in ("fifo", "sparse"):
        assert _earned(book, learner) == 0
    rows, _ = _rows(book, "sparse")
    assert "made" not in rows[IDS[0]]["feedback"]          # RLIMIT_FSIZE: no 3 GiB file
    rows, _ = _rows(book, "bigmessage")
    assert len(rows[IDS[0]]["feedback"]) <= 2000
    assert len(hostile_class["on_disk"]) < 2 ** 20
    rows, _ = _rows(book, "surrogate")
    assert "bad" in rows[IDS[0]]["feedback"]
    caf = [e for e in book.entries.values() if e["learner"].startswith("caf")]
    assert len(caf) == 1 and sum(r["points"] for r in caf[0]["rows"]) == FULL


def test_a_kernel_that_ignores_interrupts_is_stopped(hostile_class):
    rows, note = _rows(hostile_class["book"], "stubborn")
    assert "ignored the interrupt" in note, note
    entry = next(e for e in hostile_class["book"].entries.values() if e["learner"] == "stubborn")
    assert entry["seconds"] < 30, entry["seconds"]


def test_links_take_no_grade_and_hide_no_classmate(hostile_class):
    book = hostile_class["book"]
    for learner in ("mallory", "mallory2"):
        rows, note = _rows(book, learner)
        assert "symbolic link" in note and all(r["points"] == 0 for r in rows.values())
    assert _earned(book, "alice") == FULL


def test_copies_of_one_chapter_count_once(hostile_class):
    assert hostile_class["book"].totals()["eve"] == (FULL, FULL)


def test_names_are_kept_harmless_in_the_csv(hostile_class):
    rows = list(csv.DictReader(io.StringIO(hostile_class["on_disk"])))
    learners = {r["learner"] for r in rows}
    assert "'=HYPERLINK(1)" in learners and "'-rf" in learners and "'@cmd" in learners
    assert not any(r["learner"][:1] in "=+-@" for r in rows)
    book = hostile_class["book"]
    for odd in ("=HYPERLINK(1)", "-rf", "a b", "ü ..", "@cmd"):
        assert book.totals()[odd] == (FULL, FULL)
    assert _earned(book, "dash", "--out=x.ipynb") == FULL


def test_an_out_folder_named_like_a_notebook_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main([str(tmp_path), "--out=x.ipynb"])
    assert info.value.code == 2
    assert "names a notebook" in capsys.readouterr().err


def test_grading_fails_closed_without_a_sandbox(tmp_path, monkeypatch, capsys):
    _notebook(tmp_path / "class" / "alice" / NAME, *_solved_cells())
    monkeypatch.setattr(sandbox, "probe", lambda: "`bwrap` is not installed (for this test)")
    with pytest.raises(sandbox.SandboxUnavailable, match="--trusted"):
        grade([tmp_path / "class"], out=tmp_path / "book", log=io.StringIO())
    assert not (tmp_path / "book").exists()
    assert main([str(tmp_path / "class"), "--out", str(tmp_path / "book")]) == 3
    assert "cannot isolate the submissions" in capsys.readouterr().err
    book = grade([tmp_path / "class"], out=tmp_path / "book", log=io.StringIO(), trusted=True)
    rows, note = _rows(book, "alice")
    assert UNTRUSTED_NOTE in note and _earned(book, "alice") == FULL


def test_every_exercise_can_be_sent_into_the_sandbox():
    """The sandbox holds no exercise registry: every exercise's inputs must pickle."""
    import pickle

    import numpy as np
    for ex in all_exercises():
        pickle.dumps(ex.cases(np.random.default_rng(0)))


def test_the_reduced_library_holds_no_answer(tmp_path):
    lib = sandbox.build_library(tmp_path / "lib", set(sandbox.visible_modules()))
    shown = {p.relative_to(lib).as_posix(): p.read_text() for p in lib.rglob("*.py")}
    for name in ("bp_lib/delta.py", "bp_lib/losses.py", "bp_lib/network.py",
                 "bp_lib/regularization.py", "bp_lib/exercises/ch03.py", "bp_lib/exercises/core.py",
                 "bp_lib/notation.py", "bp_lib/gradcheck.py"):
        assert name in shown and "def " not in shown[name].split("def __getattr__")[0] \
            and shown[name].count("def ") == 1, name
    assert "def sigmoid" in shown["bp_lib/activations.py"]
    proc = subprocess.run(
        [sys.executable, "-c", "import bp_lib\nfrom bp_lib import Network, delta\n"
         "try:\n    delta.output_delta(1, 2)\nexcept Exception as e:\n    print(type(e).__name__)"],
        env={**os.environ, "PYTHONPATH": str(lib)}, cwd=tmp_path, capture_output=True, text=True)
    assert proc.stdout.strip() == "GradingHidden", proc.stderr


def test_two_grading_runs_never_share_a_user_id():
    """Two graders on one machine (or parallel tests) each clear their slots' leftover
    processes by uid: sharing a uid, one would stop the other's kernels."""
    if os.geteuid() != 0:
        pytest.skip("uids are only assigned when the grader runs as root")
    from bp_lib.grading import sandbox as sb
    first, lock1 = sb.claim_uids(4)
    second, lock2 = sb.claim_uids(4)
    try:
        assert abs(first - second) >= sb.UID_BLOCK
    finally:
        lock1.close()
    third, lock3 = sb.claim_uids(4)         # the first block is free again
    lock2.close()
    lock3.close()
    assert third == first
