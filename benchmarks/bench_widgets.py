"""How long one slider change of each widget takes: retrain (or recompute) + redraw.

    python benchmarks/bench_widgets.py [--repeats 3] [--lang zh]

One "slider change" is what an explorer's callback does: call the view
function (:func:`bp_lib.widgets.eta_view`, :func:`~bp_lib.widgets.lambda_view`,
:func:`~bp_lib.widgets.batch_mode_view`), which retrains the network from
scratch and draws a new figure, then render that figure to PNG the way the
widget does (:func:`bp_lib.widgets.explorers.figure_png`: one pass, 100 dpi).  For chapter 4's δ stepper it is :func:`bp_lib.widgets.stepper.stepper_png`,
exactly what its callback displays.  Sending the PNG to the browser is not included.

Each view is called over a grid of slider values that includes both ends of
every slider, ``--repeats`` times; the script prints the median and the
maximum wall-clock time per widget (and the median CPU time of the process,
which a busy machine disturbs less), and the machine's load average, since
other processes on a shared machine slow every number down.  The target is a
median under 250 ms.  This is the cost of a slider position never drawn before;
the latency a person feels in the browser (where the next position is drawn ahead)
is measured by ``tests/test_browser.py``.  ``--lang zh`` measures the Chinese edition's
widgets: the same work plus translating every word of the figure and drawing it in a CJK font.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import bp_lib  # noqa: E402
from bp_lib.widgets import explorers as E  # noqa: E402
from bp_lib.widgets import stepper as S  # noqa: E402

TARGET_MS = 250.0


def _log_grid(lo, hi, k):
    return [float(x) for x in np.geomspace(lo, hi, k)]


def grids():
    """Slider values per widget: both ends of every slider plus points between."""
    return {
        "eta_explorer": [dict(eta=eta) for eta in _log_grid(*E.ETA_RANGE, 9)],
        "lambda_explorer": [dict(lam=lam, eta=eta)
                            for lam in [*_log_grid(*E.LAM_RANGE, 5), 0.0]
                            for eta in _log_grid(*E.LAM_ETA_RANGE, 3)],
        "batch_mode_explorer": [dict(eta=eta, batch_size=bs)
                                for eta in _log_grid(*E.MODE_ETA_RANGE, 4)
                                for bs in (E.MODE_BATCH_RANGE[0], 10, E.MODE_BATCH_RANGE[1])],
        "delta_stepper": [dict(step=k) for k in range(S.n_steps(_STEP_NET))],
    }


# The δ stepper of chapter 4 on the network its chapter steps through: every step.
_STEP_NET = bp_lib.Network([3, 5, 4, 2], hidden="sigmoid", output="sigmoid", loss="mse", seed=0)
_STEP_X = np.random.default_rng(0).normal(size=(4, 3))
_STEP_Y = np.random.default_rng(1).random((4, 2))
_STEP_TRACE = _STEP_NET.backprop(_STEP_X, _STEP_Y)


def _stepper_change(step):
    """What one move of the stepper's slider does: render that step to PNG."""
    return S.stepper_png(_STEP_NET, _STEP_X, _STEP_Y, step, trace=_STEP_TRACE)


VIEWS = {"eta_explorer": E.eta_view, "lambda_explorer": E.lambda_view,
         "batch_mode_explorer": E.batch_mode_view, "delta_stepper": _stepper_change}


def one_change(view, kwargs):
    """Wall and CPU seconds of one retrain + redraw."""
    if view is _stepper_change:
        t0, c0 = time.perf_counter(), time.process_time()
        png = view(**kwargs)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if not png:
            raise RuntimeError(f"stepper step {kwargs} rendered an empty PNG")
        return wall, cpu
    t0, c0 = time.perf_counter(), time.process_time()
    result = view(**kwargs)
    png = E.figure_png(result.figure)          # what the widget sends (and closes the figure)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if not png:
        raise RuntimeError(f"{view.__name__}({kwargs}) rendered an empty PNG")
    return wall, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lang", choices=bp_lib.i18n.LANGUAGES, default="en",
                        help="the language of the widgets' words (default en)")
    args = parser.parse_args(argv)
    bp_lib.set_language(args.lang)
    print(f"language: {args.lang}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} CPUs)")
    for name, view in VIEWS.items():       # warm up: imports, font cache, data caches
        one_change(view, grids()[name][0])
    ok = True
    for name, grid in grids().items():
        walls, cpus = [], []
        for _ in range(args.repeats):
            for kwargs in grid:
                wall, cpu = one_change(VIEWS[name], kwargs)
                walls.append(wall)
                cpus.append(cpu)
        med = 1e3 * statistics.median(walls)
        ok &= med < TARGET_MS
        print(f"{name:<20} {len(grid):>2} slider settings x {args.repeats}: wall median "
              f"{med:6.1f} ms, max {1e3 * max(walls):6.1f} ms; CPU median "
              f"{1e3 * statistics.median(cpus):6.1f} ms  "
              f"{'ok' if med < TARGET_MS else 'SLOWER THAN'} (target {TARGET_MS:.0f} ms)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
