"""Where one full-batch training epoch of the 64-32-10 digits network spends its time.

    python benchmarks/profile_epoch.py [--repeats 200]

Times, as medians of ``--repeats`` calls each, the three parts of an epoch as ``bp_lib.train``
runs them (forward pass, cost, backward pass, all writing into one kept ``Workspace``) and the
largest single operations inside them: the two big matrix products and the sigmoid.  This is the
profile behind the README's "what stops 2×".
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import bp_lib
from bp_lib.datasets import load_digits
from bp_lib.network import Workspace


def median_ms(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    X, Y = load_digits()
    net = bp_lib.Network([64, 32, 10], hidden="sigmoid", output="softmax",
                         loss="softmax_cross_entropy", seed=1)
    ws = Workspace()
    trace = net.forward_trace(X, workspace=ws, checked=True)
    back = net.backprop(X, Y, 0.5, workspace=Workspace(), forward=trace, checked=True)
    D1, Z1 = back.deltas[0], trace.zs[0]
    parts = {
        "forward pass (all layers)": lambda: net.forward_trace(X, workspace=ws, checked=True),
        "cost from the recorded pass": lambda: net.cost(X, Y, 0.0, forward=trace, checked=True),
        "backward pass (given the forward)":
            lambda: net.backprop(X, Y, 0.5, workspace=ws, forward=trace, checked=True),
        "  inside: Z1 = X W1ᵀ (1797×64 · 64×32)": lambda: X @ net.weights[0].T,
        "  inside: sigmoid(Z1) (1797×32)": lambda: bp_lib.activations.sigmoid(Z1),
        "  inside: dW1 = Δ1ᵀ X (32×1797 · 1797×64)": lambda: D1.T @ X,
    }
    print(f"one full-batch epoch of the 64-32-10 digits network, median of {args.repeats} calls")
    for name, f in parts.items():
        f()
        print(f"  {name:<44} {median_ms(f, args.repeats):6.3f} ms")


if __name__ == "__main__":
    main()
