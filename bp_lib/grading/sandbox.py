"""Each submission's kernel in a sandbox of its own (bubblewrap, Linux namespaces).

A learner's notebook is code from a stranger.  The grader runs it with
`bubblewrap <https://github.com/containers/bubblewrap>`_ (Debian's
``bubblewrap`` package), the tool Flatpak uses, not with a jail of its own.
What the kernel of one submission sees:

* a private folder (:class:`Private`): its working folder with a copy of the
  one notebook, an empty home, and the grader's channel (connection file,
  the kernel's IPC sockets, the harness, the inputs, the answers) — nothing
  of the class folder, the gradebook, the course's repository or ``$HOME``;
* read-only: ``/usr``, the Python installation and the environment's
  packages, and a *reduced* ``bp_lib`` (:func:`build_library`) in which the
  modules that implement what the exercises ask for are stubs: their names
  can be imported but raise ``GradingHidden`` when used, and their code is
  not on disk;
* its own PID, network, IPC and UTS namespaces: no other process (not the
  grader, not another kernel), no network but its own loopback; the sandbox
  root, ``/usr`` and the library cannot be written;
* when the grader runs as root, a user id of its own with every capability
  dropped (``setpriv``), so root-only files stay closed and the process limit
  holds; otherwise the instructor's id in a user namespace, capabilities dropped;
* limits (``prlimit``): CPU seconds, processes and threads, file size, open
  files; memory through ``RLIMIT_AS`` (set in the kernel's first cell, the
  hard limit too, so the kernel cannot lift it);
* ``--die-with-parent`` and PID 1 of its own namespace: when the grader shuts
  the kernel down, every process the submission started dies with it, before
  the grader reads anything.

Where this cannot be set up (no ``bwrap``, user namespaces disabled, not
Linux), :func:`probe` says why and the grader refuses to run submissions
unless told they are trusted (``--trusted``).
"""

from __future__ import annotations

import ast
import os
import pickletools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: bp_lib modules a learner's code may always import while graded: nothing in them is an
#: exercise's answer (the activation functions and their derivatives, input checks, data sets,
#: the language of messages).
ALWAYS_VISIBLE = frozenset({"_validate", "_tripwire", "activations", "datasets", "i18n"})

#: User ids for sandboxed kernels when the grader runs as root: one per worker slot, far above
#: any real account, so a limit on processes counts only that kernel's.
UID_BASE = 3_900_000


#: Each grading run claims its own block of user ids (a lock file per block, held for the run),
#: so two graders on one machine — two instructors, or parallel tests — never share a uid and
#: never stop each other's kernels when they clear a slot's leftover processes.
UID_BLOCK = 64
UID_BLOCKS = 1000
UID_LOCKS = Path("/tmp/bp_lib_grader_uids")


def claim_uids(slots):
    """``(first uid, lock)`` of a block of ``slots`` user ids no other grading run holds; keep
    ``lock`` (an open file) for the run, then close it.  Raises SandboxUnavailable when none is free."""
    import fcntl

    if slots > UID_BLOCK:
        raise SandboxUnavailable(f"at most {UID_BLOCK} workers can be isolated; asked for {slots}")
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    for k in range(UID_BLOCKS):
        base = UID_BASE + k * UID_BLOCK
        f = open(UID_LOCKS / f"{base}.lock", "a")       # noqa: SIM115 — held for the run
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        return base, f
    raise SandboxUnavailable(f"all {UID_BLOCKS} blocks of grader user ids are in use")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up on this machine (the message says why)."""


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use."""

    cpu_seconds: int
    processes: int = 128        # tasks (processes and threads) of the sandbox's user id
    file_mb: int = 64           # the largest file it may write
    open_files: int = 256


def bwrap_path():
    return shutil.which("bwrap")


def probe():
    """``None`` when a sandbox can be set up here, else a sentence saying why not."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces; this is {sys.platform}"
    for tool in ("bwrap", "prlimit") + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            package = {"bwrap": "bubblewrap", "prlimit": "util-linux",
                       "setpriv": "util-linux"}[tool]
            return f"`{tool}` is not installed (Debian: apt-get install {package})"
    argv = _bwrap_base(Path("/"), uid=UID_BASE if os.geteuid() == 0 else None) + ["true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start ({exc})"
    if proc.returncode != 0:
        why = " ".join(proc.stderr.split())[:300] or f"exit status {proc.returncode}"
        return (f"bubblewrap could not create the namespaces ({why}); unprivileged user "
                "namespaces may be disabled (sysctl kernel.unprivileged_userns_clone)")
    return None


def _parents(path: Path):
    """Every folder above ``path`` (outermost first), each to be made traversable."""
    return [p for p in reversed(path.parents) if str(p) != "/"]


def _system_binds():
    """``/usr`` read-only, and the top-level links or folders of a merged or classic /usr."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for f in ("/etc/ld.so.cache", "/etc/localtime"):
        if Path(f).exists():
            args += ["--ro-bind", f, f]
    return args


def _python_roots():
    """The folders a Python kernel of this environment reads: the installation and the venv."""
    roots = []
    for p in (sys.base_prefix, sys.prefix, sys.base_exec_prefix, sys.exec_prefix):
        real = Path(p).resolve()
        if str(real).startswith("/usr/") or str(real) == "/usr":
            continue
        if not any(real == r or r in real.parents for r in roots):
            roots = [r for r in roots if real not in r.parents] + [real]
    # The interpreter the venv links to may live elsewhere (pyenv, a framework build).
    exe = Path(sys.executable).resolve()
    if not str(exe).startswith("/usr/") and not any(r in exe.parents for r in roots):
        roots.append(exe.parent.parent)
    return roots


def _bwrap_base(private: Path, uid=None, read_only=()):
    """bwrap's arguments up to the command: namespaces, the file system, no environment."""
    binds = [(r, False) for r in _python_roots()] + [(Path(r), False) for r in read_only]
    binds += [(private, True)] if str(private) != "/" else []
    dirs = []
    for path, _ in binds:
        for parent in _parents(path):
            if str(parent) not in dirs and not str(parent).startswith("/usr"):
                dirs.append(str(parent))
    args = [bwrap_path() or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "grader",
            "--die-with-parent", "--new-session", "--clearenv"]
    if uid is None:   # not root: a user namespace, every capability dropped
        args += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm",
             "--perms", "1777", "--size", str(64 * 2 ** 20), "--tmpfs", "/tmp"]
    for d in sorted(dirs, key=lambda s: s.count("/")):
        args += ["--perms", "0755", "--dir", d]
    for path, writable in binds:
        args += ["--bind" if writable else "--ro-bind", str(path), str(path)]
    return args


@dataclass(frozen=True)
class Private:
    """The folders of one submission's sandbox, all below ``root`` (the only writable bind)."""

    root: Path

    @property
    def work(self):        # the kernel's working folder, with the notebook's copy
        return self.root / "work"

    @property
    def home(self):
        return self.root / "home"

    @property
    def channel(self):     # connection file, IPC sockets, harness, inputs, answers
        return self.root / "channel"

    def make(self, uid=None, fontlist=None):
        """Create the folders (owned by ``uid``); seed matplotlib's font list so no kernel rebuilds it."""
        mpl = self.home / ".matplotlib"
        for d in (self.root, self.work, self.home, self.channel, mpl):
            d.mkdir(mode=0o700, exist_ok=True)
        if fontlist:
            shutil.copy(fontlist, mpl / Path(fontlist).name)
        if uid is not None:
            for d in (self.root, self.work, self.home, self.channel, mpl, *mpl.iterdir()):
                os.chown(d, uid, uid)


def matplotlib_font_cache():
    """The grader's matplotlib font list (``fontlist-v*.json``), built if missing, or ``None``."""
    try:
        import matplotlib
        from matplotlib import font_manager  # noqa: F401 — builds the list on first import
        found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"))
        return str(found[-1]) if found else None
    except Exception:  # noqa: BLE001 — only a speed-up
        return None


def kernel_argv(private: Private, library: Path, limits: Limits, uid=None, library_overlay=None):
    """The kernel spec's ``argv``: prlimit → bwrap → (setpriv →) ipykernel, ``{connection_file}`` last."""
    args = ["prlimit", f"--cpu={int(limits.cpu_seconds)}", f"--nproc={int(limits.processes)}",
            f"--fsize={int(limits.file_mb) * 2 ** 20}", f"--nofile={int(limits.open_files)}",
            "--core=0", "--"]
    args += _bwrap_base(private.root, uid=uid, read_only=[library])
    if library_overlay is not None:   # a bp_lib installed inside a bound folder: cover it
        args += ["--ro-bind", str(library / "bp_lib"), str(library_overlay)]
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(private.home),
        "IPYTHONDIR": str(private.home / ".ipython"),
        "MPLCONFIGDIR": str(private.home / ".matplotlib"), "PYTHONPATH": str(library),
        "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8", "JPY_PARENT_PID": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "TMPDIR": "/tmp",
    }
    for k, v in env.items():
        args += ["--setenv", k, v]
    args += ["--remount-ro", "/", "--chdir", str(private.work), "--"]
    if uid is not None:
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    args += [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return args


# ----------------------------------------------------------------- the library a submission sees
def _package_dir():
    return Path(__file__).resolve().parents[1]


def _module_names(package: Path):
    """Top-level modules and subpackages of bp_lib: ``{name: path}``."""
    names = {}
    for p in package.iterdir():
        if p.name.startswith("__"):
            continue
        if p.suffix == ".py":
            names[p.stem] = p
        elif p.is_dir() and (p / "__init__.py").exists():
            names[p.name] = p
    return names


def _imports_of(path: Path):
    """The bp_lib modules a module file imports (``from . import x``, ``from .x import y``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def modules_needed_by(pickled: bytes):
    """The bp_lib modules the pickled inputs refer to (a Network, an activation function…)."""
    found = set()
    strings = []
    try:
        for op, arg, _ in pickletools.genops(pickled):
            if op.name in ("GLOBAL", "INST") and isinstance(arg, str):
                module = arg.split(" ")[0]
                if module.startswith("bp_lib."):
                    found.add(module.split(".")[1])
            elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
                strings.append(arg)
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                module = strings[-2]
                if module.startswith("bp_lib."):
                    found.add(module.split(".")[1])
    except Exception:  # noqa: BLE001 — the grader's own pickle; be safe rather than sorry
        pass
    return found


def visible_modules(needed=()):
    """ALWAYS_VISIBLE, what the inputs need, and every bp_lib module those import."""
    package = _package_dir()
    names = _module_names(package)
    todo = set(ALWAYS_VISIBLE) | {n for n in needed if n in names}
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in names:
            continue
        seen.add(name)
        path = names[name]
        files = [path] if path.suffix == ".py" else list(path.rglob("*.py"))
        for f in files:
            todo |= _imports_of(f) - seen
    return seen


_STUB = '''"""Hidden while a notebook is graded (see bp_lib.grading.sandbox)."""
from bp_lib._hidden import Hidden


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return Hidden({prefix!r} + name)
'''

_HIDDEN = '''"""What stands for the parts of bp_lib that are hidden while a notebook is graded.

Importing a hidden name works (so a notebook's import lines still run); using
it (calling it, iterating over it, computing with it) raises GradingHidden.
"""

MESSAGE = ("bp_lib.{name} is hidden while your notebook is graded: an exercise is answered "
           "with your own code, not the library's")


class GradingHidden(RuntimeError):
    """Raised by every use of a part of bp_lib that is hidden while a notebook is graded."""


class Hidden:
    __slots__ = ("_name",)

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Hidden(self._name + "." + attr)

    def __repr__(self):
        return "<bp_lib." + self._name + ": hidden while graded>"

    def _refuse(self, *args, **kwargs):
        raise GradingHidden(MESSAGE.format(name=self._name))

    __call__ = __iter__ = __getitem__ = __len__ = __bool__ = __setattr__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __matmul__ = _refuse
    __rmatmul__ = __truediv__ = __rtruediv__ = __neg__ = __float__ = __int__ = _refuse
    __array__ = __mro_entries__ = __instancecheck__ = __subclasscheck__ = _refuse
'''

_EXERCISES = '''"""The check cells' check() while a notebook is graded: the grader judges the functions itself."""
from bp_lib._hidden import Hidden


class _NotChecked:
    passed = True

    def require(self):
        return self

    def __bool__(self):
        return True

    def __repr__(self):
        return "(not checked here: the grader judges your function itself)"


def check(*args, **kwargs):
    return _NotChecked()


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return Hidden("exercises." + name)
'''


def build_library(dest: Path, visible):
    """Write the reduced ``bp_lib`` into ``dest/bp_lib``; return ``dest`` (the PYTHONPATH entry).

    Visible modules are copied as they are, and so is the package's
    ``__init__``; every other module, subpackage and submodule of bp_lib
    becomes a stub whose names stand for ``Hidden`` placeholders, so its code
    is neither importable nor on disk inside the sandbox, while a notebook's
    ``from bp_lib import …`` lines still run.
    """
    package = _package_dir()
    names = _module_names(package)
    out = dest / "bp_lib"
    out.mkdir(parents=True)
    shutil.copy2(package / "__init__.py", out / "__init__.py")
    (out / "_hidden.py").write_text(_HIDDEN)
    # The translations of what the library shows (data, no answers): a Chinese notebook's
    # first cell, bp_lib.set_language("zh"), runs while graded too.
    shutil.copytree(package / "locale", out / "locale", ignore=shutil.ignore_patterns("*.py*"))
    for name, path in sorted(names.items()):
        if name in visible:
            if path.is_dir():
                shutil.copytree(path, out / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(path, out / path.name)
        elif path.is_dir():
            for f in path.rglob("*.py"):
                rel = f.relative_to(package)
                target = out / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                dotted = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
                if name == "exercises" and rel.parts[1:] == ("__init__.py",):
                    target.write_text(_EXERCISES)
                else:
                    target.write_text(_STUB.format(prefix=dotted + "."))
        else:
            (out / f"{name}.py").write_text(_STUB.format(prefix=name + "."))
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def library_overlay():
    """Where the real bp_lib lies if it is inside a folder the sandbox binds (a non-editable install)."""
    real = _package_dir()
    for root in _python_roots():
        if root == real or root in real.parents:
            return real
    return None
