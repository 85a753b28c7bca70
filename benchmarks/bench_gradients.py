"""Full-batch gradient of a 64-32-10 network on all 1797 digits, float64: bp_lib vs peers.

    python benchmarks/bench_gradients.py [--repeats 400] [--without-torch]

Every implementation gets the same weights and data and must produce the same
gradients (checked first, to 1e-10 relative).  Timings are interleaved — one
call of each, round after round, in a rotating order — so a busy machine slows
all of them alike, and reported as medians and ratios of medians, with the
minor page faults each call causes.

* scikit-learn: ``MLPClassifier._backprop`` (its private backprop routine,
  called with the lists its solvers pass; it fills them with new arrays on
  every call), logistic hidden layer, softmax output, log-loss, ``alpha`` = λ:
  on a full batch both scale the penalty as λ/(2n)·‖W‖² (in its SGD training
  sklearn divides by the mini-batch size instead, so there alpha = λ·k/n;
  chapter 6 explains).  It also computes the loss value, which it cannot skip.
* PyTorch (only when installed): ``loss.backward()`` on float64 CPU tensors,
  the forward pass included, as autograd needs it; its default thread count
  (numpy's BLAS uses its default too).
* bp_lib: ``Network.backprop(..., workspace=Workspace(), checked=True)`` — forward + backward as
  :func:`bp_lib.train` runs them, without input validation, writing into
  arrays kept from the previous step — and the public ``Network.gradients``
  (validated, new arrays) for reference.

The scikit-learn comparison runs twice.  Part 1 is an ordinary process: there
a new array of a few hundred kB comes from fresh pages of the operating system
(glibc hands freed memory back), so scikit-learn pays page faults that bp_lib's
kept arrays avoid.  Part 2 repeats it in a child process whose heap keeps freed
memory, which leaves the computation alone.  PyTorch comes last because
importing it changes the heap of the process for everything after it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

import bp_lib
from bp_lib.datasets import load_digits

LAM = 0.5


def make_bp_lib(X, Y):
    net = bp_lib.Network([64, 32, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=0)
    ws = bp_lib.network.Workspace()
    return net, (lambda: net.backprop(X, Y, LAM, workspace=ws, checked=True)), (lambda: net.gradients(X, Y, LAM))


def make_sklearn(net, X, Y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="logistic", alpha=LAM,
                        max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, Y.argmax(axis=1))
    clf.coefs_ = [W.T.copy() for W in net.weights]          # sklearn keeps (in, out)
    clf.intercepts_ = [b.copy() for b in net.biases]
    n = X.shape[0]
    sizes = [64, 32, 10]
    activations = [X] + [np.empty((n, s)) for s in sizes[1:]]
    deltas = [np.empty_like(a) for a in activations[1:]]
    coef_grads = [np.empty((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercept_grads = [np.empty(b) for b in sizes[1:]]

    def run():
        clf._backprop(X, Y, None, activations, deltas, coef_grads, intercept_grads)
        return [g.T for g in coef_grads], intercept_grads
    return run


def make_torch(net, X, Y):
    # Idle OpenMP threads must sleep, not spin: torch's spinning threads would
    # steal the cores from the contender timed right after it.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
    except ImportError:
        return None
    Xt, labels = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
    Ws = [torch.tensor(W, requires_grad=True) for W in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    n = X.shape[0]

    def run():
        for p in Ws + bs:
            p.grad = None
        h = torch.sigmoid(Xt @ Ws[0].T + bs[0])
        logits = h @ Ws[1].T + bs[1]
        loss = torch.nn.functional.cross_entropy(logits, labels) \
            + LAM / (2 * n) * sum((W * W).sum() for W in Ws)
        loss.backward()
        return [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs]
    return run, torch.__version__, torch.get_num_threads()


def same(a, b):
    return all(np.allclose(x, y, rtol=1e-10, atol=1e-13) for x, y in zip(a[0] + a[1], b[0] + b[1]))


def race(contenders, ref, repeats):
    """Median seconds and minor page faults per call of each contender, interleaved."""
    for name, run in contenders.items():
        if not same(ref, run()):
            raise SystemExit(f"{name} gives different gradients: the comparison is void")
    times = {name: [] for name in contenders}
    faults = dict.fromkeys(contenders, 0)
    names = list(contenders)
    for r in range(repeats):
        # interleaved, and the order rotates each round, so no contender always runs first
        for name in names[r % len(names):] + names[:r % len(names)]:
            run = contenders[name]
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
            faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    return ({name: statistics.median(t) for name, t in times.items()},
            {name: f / repeats for name, f in faults.items()})


def show(med, faults):
    base = med["bp_lib"]
    for name, m in med.items():
        print(f"  {name:<28} median {m * 1e3:7.3f} ms   {m / base:5.2f}× bp_lib   "
              f"{faults[name]:6.1f} page faults per call")


def sklearn_part(X, Y, repeats, verdict):
    net, bp_internal, bp_public = make_bp_lib(X, Y)
    contenders = {"bp_lib": lambda: (lambda t: (t.dW, t.db))(bp_internal()),
                  "bp_lib (validated)": bp_public,
                  "scikit-learn": make_sklearn(net, X, Y)}
    med, faults = race(contenders, net.gradients(X, Y, LAM), repeats)
    show(med, faults)
    print(f"  scikit-learn / bp_lib = {med['scikit-learn'] / med['bp_lib']:.2f} ({verdict})")
    print(f"  scikit-learn / public net.gradients = "
          f"{med['scikit-learn'] / med['bp_lib (validated)']:.2f} ({verdict})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=400)
    parser.add_argument("--without-torch", action="store_true",
                        help="leave PyTorch out even when it is installed")
    parser.add_argument("--sklearn-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    X, Y = load_digits()
    if args.sklearn_only:                       # the warm-heap child of part 2
        sklearn_part(X, Y, args.repeats, "for information: the reuse of memory does not count here")
        return
    print(f"Full-batch gradient of a 64-32-10 sigmoid/softmax network on all 1797 digits, "
          f"float64; numpy {np.__version__}, {args.repeats} interleaved rounds.\n")
    print("1. scikit-learn, each library in a process as a user runs it (glibc's malloc "
          "settings;\n   PyTorch not loaded yet, as importing it changes the heap of the process)")
    sklearn_part(X, Y, args.repeats, "target ≥ 2")
    print()

    print("2. the same with every new array served from a warm heap (MALLOC_MMAP_THRESHOLD_ and\n"
          "   MALLOC_TRIM_THRESHOLD_ raised: no page faults for anyone, so computation alone)")
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(64 << 20),
               MALLOC_TRIM_THRESHOLD_=str(128 << 20))
    child = subprocess.run([sys.executable, __file__, "--sklearn-only",
                            "--repeats", str(args.repeats)],
                           env=env, capture_output=True, text=True, check=True)
    print(child.stdout)

    net, bp_internal, _ = make_bp_lib(X, Y)
    torch_info = None if args.without_torch else make_torch(net, X, Y)
    if torch_info is None:
        print("3. PyTorch: not installed (or --without-torch); `pip install torch` to compare")
        return
    run_torch, version, threads = torch_info
    print(f"3. PyTorch {version} CPU autograd, {threads} threads")
    med, faults = race({"bp_lib": lambda: (lambda t: (t.dW, t.db))(bp_internal()),
                        "bp_lib (validated)": lambda: net.gradients(X, Y, LAM),
                        f"PyTorch {version}": run_torch},
                       net.gradients(X, Y, LAM), args.repeats)
    show(med, faults)
    print(f"  PyTorch / bp_lib = {med[f'PyTorch {version}'] / med['bp_lib']:.2f} (target ≥ 1)")
    print(f"  PyTorch / public net.gradients = "
          f"{med[f'PyTorch {version}'] / med['bp_lib (validated)']:.2f} (target ≥ 1)")


if __name__ == "__main__":
    main()
