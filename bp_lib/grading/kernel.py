"""Run one learner's notebook in a fresh kernel and bring back its answers.

:func:`run_notebook` is what a grading worker process does for one
submission.  The notebook that actually runs is::

    [memory cap]  +  the learner's code cells (outputs cleared)  +  [harness]

The first injected cell caps the kernel's address space (``RLIMIT_AS``) so a
runaway allocation becomes a ``MemoryError`` in that kernel instead of
starving the machine.  Learner cells run with ``allow_errors``: a cell that
raises, or exceeds the per-cell time limit (it is interrupted), is noted and
the next cell runs.  The learner's cells together get ``budget`` seconds;
after that the remaining ones are skipped.  The last cell runs
:mod:`bp_lib.grading.harness`, which calls the learner's functions on the
grader's inputs and writes the answers as JSON.  :func:`decode` turns that JSON
back into numbers and arrays without running anything the learner wrote.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HARNESS_FILE = "bp_lib_grader_harness.py"   # "bp_lib" in the name keeps it out of error locations
KERNEL_NAME = "bp_lib_grader"

MEMORY_CAP_SOURCE = """\
def _bp_lib_grader_cap(extra_mb):
    import os
    try:
        import resource
        with open("/proc/self/statm") as f:
            now = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError):
        return  # not Linux: no /proc, and RLIMIT_AS is not enforced elsewhere anyway
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = now + extra_mb * 2 ** 20
    top = cap + max(256 * 2 ** 20, extra_mb * 2 ** 18)   # a reserve only the grader's cell uses
    if hard != resource.RLIM_INFINITY:
        cap, top = min(cap, hard), min(top, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, top))   # the hard limit: no cell can lift it
_bp_lib_grader_cap({extra_mb})
del _bp_lib_grader_cap
"""


def _harness_cell(harness_path, inputs_path, answers_path, timeout, memory_mb):
    # One expression statement: exec the harness in a namespace of its own, then call its main
    # with this notebook's globals (where the learner's functions live).
    return (f"_bp_lib_grader_ns = {{'__name__': 'bp_lib_grader_harness'}}\n"
            f"exec(compile(open({str(harness_path)!r}).read(), {str(harness_path)!r}, 'exec'), "
            f"_bp_lib_grader_ns)\n"
            f"_bp_lib_grader_ns['main'](globals(), {str(inputs_path)!r}, {str(answers_path)!r}, "
            f"{float(timeout)!r}, {int(memory_mb)!r})\n")


def _write_kernelspec(folder: Path, argv=None):
    """A kernel spec running *this* Python (so the kernel sees the same packages as the grader).

    ``argv`` replaces the plain command (the sandbox's prlimit → bwrap → kernel);
    interrupts then travel as messages, since no signal reaches into the sandbox.
    """
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv or [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bp_lib grader", "language": "python",
        "interrupt_mode": "message" if argv else "signal"}))
    return folder / "kernels"


def _first_line(source):
    line = next((s.strip() for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def _short(text, n=300):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n - 3] + "..."


@contextmanager
def _event_loop():
    """Close the asyncio loop nbclient's sync calls made for this thread once the notebook is done."""
    from jupyter_core.utils import ensure_event_loop

    try:
        yield
    finally:
        loop = ensure_event_loop()
        if not loop.is_running():
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()


def run_notebook(job):
    """Execute one notebook; return ``{"answers": json text or None, "notes": [...], "fatal": text or None}``.

    ``job``: ``notebook`` (the parsed notebook, a dict), ``inputs`` (pickled
    bytes for the harness), ``timeout`` (s per cell and per call), ``budget``
    (s for all learner cells), ``memory_mb``.  Never raises.
    """
    with _event_loop():
        return _run_notebook(job)


class _Client:
    """nbclient's NotebookClient, keeping only what the grader reads of a cell's outputs: its errors.

    A notebook may print gigabytes; nothing but error outputs (with their text
    cut short) is kept in the grader's memory.
    """

    _cls = None

    @classmethod
    def make(cls, *args, **kwargs):
        if cls._cls is None:
            from nbclient import NotebookClient

            class Client(NotebookClient):
                def output(self, outs, msg, display_id, cell_index):
                    if msg.get("msg_type") != "error":
                        return None
                    content = msg.get("content", {})
                    out = nbformat_error(str(content.get("ename", "Error"))[:200],
                                         str(content.get("evalue", ""))[:2000])
                    if sum(o.get("output_type") == "error" for o in outs) < 3:
                        outs.append(out)
                    return out

            cls._cls = Client
        return cls._cls(*args, **kwargs)


def nbformat_error(ename, evalue):
    import nbformat
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def _kill_group(pid):
    """SIGKILL the kernel's process group (the sandbox's bwrap and, with it, everything inside)."""
    import signal
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _survivors(uid):
    """Pids of processes still running as ``uid`` (the sandbox's own user id when the grader is root)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
                with open(f"/proc/{entry}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
                if state not in (b"Z", b"X"):       # a zombie is dead, only not yet reaped
                    found.append(int(entry))
            except (OSError, IndexError):
                pass
    return found


def _run_notebook(job):
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_core.utils import run_sync
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import DeadKernelError

    from . import sandbox as sb

    t0 = time.monotonic()
    notes, fatal, answers = [], None, None
    timeout = job["timeout"]
    box = job.get("sandbox")
    try:
        nb = nbformat.from_dict(job["notebook"])
        code = [(i, c) for i, c in enumerate(nb.get("cells", [])) if c.get("cell_type") == "code"]
    except Exception as exc:  # noqa: BLE001 — a malformed notebook is a finding, not a crash
        return {"answers": None, "notes": [], "fatal": f"the notebook's cells could not be read ({exc})",
                "seconds": time.monotonic() - t0}
    slot = box["slots"].get() if box else None
    uid = None if not box or box["uid_base"] is None else box["uid_base"] + slot
    try:
        with tempfile.TemporaryDirectory(prefix="bp_grade_") as tmp:
            tmp = Path(tmp)
            os.chmod(tmp, 0o755)
            private = sb.Private(tmp / "box")
            private.make(uid, box.get("fontlist") if box else None)
            workdir, channel = private.work, private.channel
            cells = [nbformat.v4.new_code_cell(MEMORY_CAP_SOURCE.format(extra_mb=int(job["memory_mb"])))]
            origin = [None]                 # notebook cell number (1-based) of each executed cell
            for i, c in code:
                source = c.get("source", "")
                if isinstance(source, list):
                    source = "".join(source)
                cells.append(nbformat.v4.new_code_cell(source))
                is_check = bool(c.get("metadata", {}).get("nbgrader", {}).get("grade")) and \
                    not c.get("metadata", {}).get("nbgrader", {}).get("solution")
                origin.append((i + 1, is_check))
            inputs_path, answers_path = channel / "inputs.pkl", channel / "answers.json"
            harness_path = channel / HARNESS_FILE
            cells.append(nbformat.v4.new_code_cell(_harness_cell(harness_path, inputs_path,
                                                                 answers_path, timeout,
                                                                 job["memory_mb"])))
            run_nb = nbformat.v4.new_notebook(cells=cells)
            if box:
                (workdir / "submission.ipynb").write_text(json.dumps(job["notebook"]))
                if uid is not None:
                    os.chown(workdir / "submission.ipynb", uid, uid)
                argv = sb.kernel_argv(private, Path(box["library"]), box["limits"], uid=uid,
                                      library_overlay=box.get("overlay"))
                spec_dir = _write_kernelspec(tmp / "spec", argv)
                km = _sandbox_manager(AsyncKernelManager, uid)(
                    kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(
                        kernel_dirs=[str(spec_dir)]),
                    transport="ipc", connection_file=str(channel / "kernel.json"),
                    ip=str(channel / "ipc"))
                env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            else:
                km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(
                    kernel_dirs=[str(_write_kernelspec(tmp / "spec"))]))
                env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                           MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
                env.pop("MPLBACKEND", None)  # the kernel's own inline backend closes figures per cell
            timed_out = {"ename": "TimeoutError", "traceback": [],
                         "evalue": f"bp_lib grader: the cell did not finish within {timeout:g} s"}
            client = _Client.make(
                run_nb, km=km, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                error_on_timeout=timed_out,
                record_timing=False, shutdown_kernel="immediate",
                resources={"metadata": {"path": str(workdir)}})
            log_path = tmp / "kernel.log"
            running = 0
            slow = set()      # cells stopped at the time limit
            # However the kernel behaves (ignores interrupts, floods its output), it is killed
            # once the notebook's whole allowance is spent.
            allowance = (job["budget"] + timeout * (max(1, job.get("calls", 1)) + 2) + 60)
            watchdog = None
            with open(log_path, "w") as log:
                try:
                    with client.setup_kernel(env=env, stdout=log, stderr=subprocess.STDOUT,
                                             cleanup_kc=True):
                        pid = getattr(km.provisioner, "pid", None)
                        if pid:
                            import threading
                            watchdog = threading.Timer(allowance, _kill_group, (pid,))
                            watchdog.daemon = True
                            watchdog.start()
                        deadline = time.monotonic() + job["budget"]
                        for index in range(len(cells) - 1):
                            running = index
                            if index > 0 and time.monotonic() > deadline:
                                notes.append(f"the notebook used up its {job['budget']:g} s: cells from "
                                             f"cell {origin[index][0]} on were not run")
                                break
                            started = time.monotonic()
                            client.execute_cell(cells[index], index)
                            if time.monotonic() - started >= timeout:
                                slow.add(index)
                                if not _responds(client, index):
                                    raise _Stuck()
                        running = len(cells) - 1
                        # Written only now, after every learner cell has finished.
                        _write_for(harness_path, Path(__file__).with_name("harness.py").read_bytes(), uid)
                        _write_for(inputs_path, job["inputs"], uid)
                        client.timeout = timeout * max(1, job.get("calls", 1)) + 30
                        client.execute_cell(cells[-1], len(cells) - 1)
                except _Stuck:
                    fatal = (f"cell {origin[running][0]} (`{_first_line(cells[running].source)}`) "
                             f"ran past the {timeout:g} s limit and ignored the interrupt, so the "
                             "kernel was stopped; nothing after it ran")
                except DeadKernelError:
                    where = ("before the learner's cells ran" if running == 0 else
                             "while the grader called the exercise functions" if running == len(cells) - 1
                             else f"while running cell {origin[running][0]} "
                                  f"(`{_first_line(cells[running].source)}`)")
                    fatal = (f"the kernel died {where} — out of memory (a kernel may take "
                             f"{int(job['memory_mb'])} MB more than a fresh one), a crash, code "
                             "that ended the process, or the notebook's time allowance ran out")
                except Exception as exc:  # noqa: BLE001
                    fatal = f"the notebook could not be run ({type(exc).__name__}: {_short(exc)})"
                finally:
                    if watchdog is not None:
                        watchdog.cancel()
                    try:  # setup_kernel shuts it down; this is for a failed start
                        if km.has_kernel:
                            run_sync(km.shutdown_kernel)(now=True)
                    except Exception:  # noqa: BLE001
                        pass
            if uid is not None:
                # Nothing of the submission may run while its answers are read.  Its processes
                # die with the sandbox's PID 1; give the kernel a moment to finish that.
                stop = time.monotonic() + 3
                while _survivors(uid) and time.monotonic() < stop:
                    time.sleep(0.02)
                left = _survivors(uid)
                for p in left:
                    _kill_group(p)
                if left:
                    notes.append(f"{len(left)} process(es) of the notebook outlived its kernel "
                                 "and were killed")
            if fatal and ("kernel died" in fatal or "Kernel died" in fatal):
                last = _last_log_line(log_path)
                if last:
                    fatal += f" (its last words: {last})"
            hidden_seen = False
            for index, cell in enumerate(cells):
                if index in slow and 0 < index < len(cells) - 1:
                    notes.append(f"cell {origin[index][0]} (`{_first_line(cell.source)}`) got no "
                                 f"result within the {timeout:g} s limit per cell: it was "
                                 "interrupted (an endless loop?)")
                    continue
                for out in cell.get("outputs", []):
                    if out.get("output_type") != "error":
                        continue
                    ename, evalue = out.get("ename", "Error"), _short(out.get("evalue", ""), 200)
                    if box and index not in (0, len(cells) - 1):
                        # Once a cell has used the part of bp_lib hidden while grading (a figure,
                        # a library call), later cells fail in its wake (names it did not define,
                        # empty results); those failures say nothing about the learner's answers.
                        if _expected_while_hidden(ename, evalue):
                            hidden_seen = True
                            continue
                        if hidden_seen and ename not in _ALWAYS_NOTED:
                            continue
                    if ename == "KeyboardInterrupt" or (ename, evalue) == (timed_out["ename"],
                                                                           timed_out["evalue"]):
                        what = (f"no result within the {timeout:g} s limit per cell: it was "
                                "interrupted (an endless loop?)")
                    elif ename == "MemoryError":
                        what = (f"MemoryError{': ' + evalue if evalue else ''} (a kernel may take "
                                f"{int(job['memory_mb'])} MB more than a fresh one)")
                    else:
                        what = f"{ename}: {evalue}" if evalue else ename
                    if index == 0:
                        notes.append(f"the memory limit could not be set ({what})")
                    elif index == len(cells) - 1:
                        if not _complete(answers_path, job.get("ids")):
                            fatal = fatal or f"the grader's cell failed ({what})"
                    elif not origin[index][1]:      # a failing check cell is already in the verdict
                        verb = "got" if what.startswith("no result") else "raised"
                        notes.append(f"cell {origin[index][0]} (`{_first_line(cell.source)}`) {verb} {what}")
            answers = read_bounded(answers_path)
    finally:
        if slot is not None:
            box["slots"].put(slot)
    return {"answers": answers, "notes": notes, "fatal": fatal, "seconds": time.monotonic() - t0}


class _Stuck(Exception):
    """The kernel went on running a cell after it was interrupted."""


def _responds(client, index, wait=5.0):
    """True when the kernel runs an empty cell within ``wait`` s (it is not stuck in the last one)."""
    import nbformat
    probe = nbformat.v4.new_code_cell("pass")
    timeout, client.timeout = client.timeout, wait
    original = client.nb.cells[index]     # execute_cell puts the cell it runs at this index
    started = time.monotonic()
    try:
        client.execute_cell(probe, index)
    except Exception:  # noqa: BLE001 — the kernel is gone
        return False
    finally:
        client.timeout = timeout
        client.nb.cells[index] = original
    return time.monotonic() - started < wait


def _sandbox_manager(base, uid):
    """A kernel manager whose connection file the sandbox's own user id can read."""
    if uid is None:
        return base

    class Manager(base):
        def write_connection_file(self, **kwargs):
            result = super().write_connection_file(**kwargs)
            os.chown(self.connection_file, uid, uid)
            return result

    return Manager


#: Errors noted even after a cell used the hidden library: they are the learner's own code's.
_ALWAYS_NOTED = frozenset({"SyntaxError", "IndentationError", "TabError", "MemoryError",
                           "KeyboardInterrupt", "TimeoutError", "RecursionError"})


def _expected_while_hidden(ename, evalue):
    """An error that only says a cell used the part of bp_lib hidden while grading (figures, checks…)."""
    if ename == "GradingHidden":
        return True
    if ename in ("ModuleNotFoundError", "ImportError") and "bp_lib" in evalue:
        return True
    return ename == "NameError"   # a name that a hidden-library cell would have defined


def _write_for(path: Path, data: bytes, uid):
    path.write_bytes(data)
    if uid is not None:
        os.chown(path, uid, uid)


MAX_ANSWERS_BYTES = 256 * 2 ** 20


def read_bounded(path: Path, limit=MAX_ANSWERS_BYTES):
    """The text of a file a submission could have written, or ``None``: never a FIFO, a link, or too much."""
    import stat
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            return None
        return data.decode("utf-8", errors="replace")
    finally:
        os.close(fd)


def _last_log_line(path):
    """The kernel process's last line on stdout/stderr that is not a routine start-up warning."""
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    lines = [ln for ln in lines if ln and "running over TCP without encryption" not in ln]
    return _short(lines[-1], 200) if lines else ""


def _complete(answers_path, ids):
    """True when the harness wrote an answer for every exercise (its cell's end can still stall)."""
    try:
        return bool(ids) and set(ids) <= set(json.loads(read_bounded(answers_path) or "null"))
    except (OSError, ValueError, TypeError, RecursionError):
        return False


# ----------------------------------------------------------------- answers
class _Opaque:
    """Stands for an answer the grader does not copy (the learner's own object)."""

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _decode(obj, depth=0):
    if depth > 20 or not isinstance(obj, dict) or len(obj) == 0:
        raise ValueError("malformed answer")
    if "none" in obj:
        return None
    if "bool" in obj:
        return bool(obj["bool"])
    if "int" in obj:
        if not isinstance(obj["int"], int):
            raise ValueError("malformed int")
        return obj["int"]
    if "float" in obj:
        if "dtype" in obj:             # a numpy scalar keeps its precision (float32 is named)
            dtype = np.dtype(str(obj["dtype"]))
            if dtype.kind != "f":
                raise ValueError("unexpected dtype")
            return dtype.type(float(obj["float"]))
        return float(obj["float"])
    if "array" in obj:
        dtype = np.dtype(str(obj["dtype"]))
        if dtype.kind not in "biufc" or dtype.fields:
            raise ValueError("unexpected dtype")
        shape = tuple(int(s) for s in obj["shape"])
        data = base64.b64decode(obj["array"], validate=True)
        return np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    if "placeholder" in obj:            # an array not copied: right shape, unusable values
        shape = tuple(int(s) for s in obj["shape"])
        return np.broadcast_to(np.array(None, dtype=object), shape)
    if "seq" in obj:
        items = [_decode(e, depth + 1) for e in obj["items"]]
        return tuple(items) if obj["seq"] == "tuple" else items
    if "opaque" in obj:
        name = "".join(ch for ch in str(obj["opaque"])[:40] if ch.isalnum() or ch in "_ ") or "object"
        return type(name, (_Opaque,), {})()
    raise ValueError("malformed answer")


def decode_answers(text):
    """``{exercise id: {"missing": text} | {"cases": [(status, value), ...]}}`` from the harness's JSON.

    Unreadable parts become errors (never exceptions): a learner could have
    written that file.
    """
    try:
        raw = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return {}
    if not isinstance(raw, dict):
        return {}
    out = {}
    for ex_id, item in raw.items():
        if not isinstance(item, dict):
            continue
        if "missing" in item:
            out[ex_id] = {"missing": str(item["missing"])[:2000]}
            continue
        cases = []
        for case in item.get("cases", []) if isinstance(item.get("cases"), list) else []:
            try:
                status, value = case
                if status == "ok":
                    cases.append(("ok", _decode(value)))
                else:
                    cases.append(("error", str(value)[:2000]))
            except Exception:  # noqa: BLE001
                cases.append(("error", "the answer could not be read back from the kernel"))
        out[ex_id] = {"cases": cases}
    return out
