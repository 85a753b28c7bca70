"""The benchmark scripts still run, and their built-in agreement check holds.

No timing is asserted here (a timed test on a shared machine only measures the
machine).  What is asserted would fail if the code were wrong: the gradient
benchmark refuses to time anything unless bp_lib, its validated path and
scikit-learn's backprop give the same gradients to 1e-10, so a bp_lib change
that breaks the gradient, or a scikit-learn that computes something else,
fails this test; and every part the README quotes must be printed.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(script, *args, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_gradient_benchmark_agrees_with_scikit_learn_and_prints_every_part():
    result = run("bench_gradients.py", "--repeats", "3", "--without-torch")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for part in ("1. scikit-learn", "2. the same with every new array", "3. PyTorch"):
        assert part in out
    ratios = re.findall(r"scikit-learn / bp_lib = (\d+\.\d\d) \((target ≥ 2|for information)", out)
    assert [kind for _, kind in ratios] == ["target ≥ 2", "for information"]
    assert all(float(r) > 0 for r, _ in ratios)
    assert re.search(r"bp_lib +median +\d+\.\d+ ms .* 0\.0 page faults per call", out), \
        "bp_lib's training path should make no new memory per call"
    assert len(re.findall(r"scikit-learn / public net\.gradients = \d+\.\d\d", out)) == 2
    assert re.search(r"bp_lib \(validated\) +median +\d+\.\d+ ms .* 0\.0 page faults per call", out), \
        "the public net.gradients should write into the arrays its network keeps"


def test_gradient_benchmark_refuses_to_time_gradients_that_disagree(tmp_path):
    """Break bp_lib's sigmoid inside the benchmark's process: it must stop, not time."""
    shim = tmp_path / "broken.py"
    shim.write_text(
        "import runpy, sys\n"
        "import bp_lib.activations as act\n"
        "good = act.ACTIVATIONS['sigmoid']\n"
        "import dataclasses\n"
        "act.ACTIVATIONS['sigmoid'] = dataclasses.replace(\n"
        "    good, f=lambda Z, out=None: good.f(1.01 * Z, out=out))\n"
        "sys.argv = ['bench', '--repeats', '2', '--without-torch']\n"
        f"runpy.run_path({str(ROOT / 'benchmarks' / 'bench_gradients.py')!r}, "
        "run_name='__main__')\n")
    result = subprocess.run([sys.executable, str(shim)], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode != 0
    assert "gives different gradients" in result.stderr + result.stdout


def test_widget_benchmark_runs_every_widget():
    result = run("bench_widgets.py", "--repeats", "1")
    # Exit status 1 means "slower than the target" — a measurement, which depends on the load of
    # the machine; this smoke test only asks that every widget ran and was timed, without a crash.
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    for widget in ("eta_explorer", "lambda_explorer", "batch_mode_explorer", "delta_stepper"):
        assert re.search(rf"^{widget} .*wall median +\d+\.\d ms", result.stdout, re.M), widget


def test_training_benchmark_trains_the_same_network_three_ways():
    """One round of each mode: the three libraries learn alike (else the timing compares
    different work) and every ratio is printed; exit 1 only means a target was missed."""
    result = run("bench_training.py", "--repeats", "1")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    for mode in ("full batch", "mini-batch 16"):
        assert mode in out
    accuracies = [float(a) for a in re.findall(r"training accuracy (\d\.\d+)", out)]
    assert len(accuracies) == 6 and max(accuracies) - min(accuracies[:3]) < 0.05 \
        and max(accuracies[3:]) - min(accuracies[3:]) < 0.05, out
    assert len(re.findall(r"bp_lib is [\d.]+× faster than (scikit-learn|PyTorch)", out)) == 4, out


def test_epoch_profile_prints_every_part():
    result = run("profile_epoch.py", "--repeats", "3")
    assert result.returncode == 0, result.stderr
    parts = re.findall(r"^  +(.+?) +(\d+\.\d{3}) ms$", result.stdout, flags=re.M)
    assert len(parts) == 6 and all(float(ms) > 0 for _, ms in parts)
