"""Training a 64-32-10 network on the 1797 digits, as a user runs it: bp_lib vs peers.

    python benchmarks/bench_training.py [--repeats 5] [--without-torch]

Three ways to train the same network (sigmoid hidden layer, softmax output, categorical
cross-entropy, L2 with λ/n on the weights only, plain SGD, no momentum, float64) for the
same number of epochs with the same batch size, through their public interfaces:

* bp_lib: ``bp_lib.train(net, X, Y, eta, lam, epochs, batch_size)``;
* scikit-learn: ``MLPClassifier(solver="sgd", momentum=0, learning_rate_init=η,
  alpha=λ·k/n, batch_size=k, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0)`` —
  its SGD divides alpha by the batch size, so alpha = λ·k/n gives the course's λ/n (for the
  full batch, k = n and alpha = λ); ``early_stopping=False``, ``shuffle=True``;
* PyTorch (when installed): ``nn.Linear`` layers, ``CrossEntropyLoss``, ``torch.optim.SGD``
  with two parameter groups (weights decayed by λ/n, biases not), batches from
  ``torch.randperm`` each epoch, default thread count.

Two modes: full batch (200 epochs) and mini-batches of 16 (5 epochs, 565 steps).  Each run
starts from a fresh network; the runs are interleaved (one of each, round after round, in a
rotating order) so a busy machine slows all alike; medians and ratios of medians are printed,
with each library's training accuracy after the run (the three must learn alike, or the
timing compares different work).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np

import bp_lib
from bp_lib.datasets import load_digits

ETA, LAM = 0.5, 0.5
MODES = {"full batch": (None, 200), "mini-batch 16": (16, 5)}


def run_bp_lib(X, Y, y, batch, epochs, seed):
    net = bp_lib.Network([64, 32, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=seed)
    t0 = time.perf_counter()
    bp_lib.train(net, X, Y, eta=ETA, lam=LAM, epochs=epochs, batch_size=batch, seed=seed)
    seconds = time.perf_counter() - t0
    return seconds, float(np.mean(np.argmax(net.forward(X), axis=1) == y))


def run_sklearn(X, Y, y, batch, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    n = len(X)
    k = n if batch is None else batch
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="logistic", solver="sgd",
                        learning_rate_init=ETA, momentum=0.0, nesterovs_momentum=False,
                        alpha=LAM * k / n, batch_size=k, max_iter=epochs, shuffle=True,
                        n_iter_no_change=epochs + 1, tol=0.0, early_stopping=False,
                        random_state=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    seconds = time.perf_counter() - t0
    return seconds, float(np.mean(clf.predict(X) == y))


def run_torch(X, Y, y, batch, epochs, seed):
    import torch

    torch.manual_seed(seed)
    n = len(X)
    k = n if batch is None else batch
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.long)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Sigmoid(),
                                torch.nn.Linear(32, 10)).double()
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": LAM / n},
                           {"params": biases, "weight_decay": 0.0}], lr=ETA)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n) if batch is not None else torch.arange(n)
        for start in range(0, n, k):
            idx = order[start:start + k]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        accuracy = float((model(Xt).argmax(dim=1) == yt).double().mean())
    return seconds, accuracy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--without-torch", action="store_true")
    args = parser.parse_args(argv)
    X, Y = load_digits()
    y = np.argmax(Y, axis=1)
    runners = {"bp_lib": run_bp_lib, "scikit-learn": run_sklearn}
    if not args.without_torch:
        try:
            import torch  # noqa: F401
            runners["PyTorch"] = run_torch
        except ImportError:
            print("PyTorch is not installed: its column is left out", file=sys.stderr)
    failed = False
    for mode, (batch, epochs) in MODES.items():
        times = {name: [] for name in runners}
        accuracy = {name: [] for name in runners}
        names = list(runners)
        for r in range(args.repeats):
            for name in names[r % len(names):] + names[:r % len(names)]:
                seconds, acc = runners[name](X, Y, y, batch, epochs, seed=r)
                times[name].append(seconds)
                accuracy[name].append(acc)
        med = {name: statistics.median(t) for name, t in times.items()}
        print(f"{mode} ({epochs} epochs), median of {args.repeats}:")
        for name in runners:
            print(f"  {name:<13} {med[name] * 1000:8.1f} ms   training accuracy "
                  f"{statistics.median(accuracy[name]):.3f}")
        for name in runners:
            if name != "bp_lib":
                ratio = med[name] / med["bp_lib"]
                target = 2.0 if name == "scikit-learn" else 1.0
                verdict = "meets" if ratio >= target else "BELOW"
                failed |= ratio < target
                print(f"  bp_lib is {ratio:.2f}× faster than {name} (target ≥ {target:g}: {verdict})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
