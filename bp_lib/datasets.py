"""Small deterministic data sets (every generator is seeded; nothing is downloaded).

Every loader returns ``(X, Y)`` with examples as rows: ``X`` ``(m, n_in)``
float64 and ``Y`` ``(m, K)`` one-hot float64 (or ``(m, 1)`` of 0/1 for the
two-class sets when ``one_hot=False``).  The real data sets, handwritten
digits and iris, are the copies bundled inside scikit-learn.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v


def one_hot(labels, n_classes=None):
    """Class indices ``(m,)`` → one-hot rows ``(m, n_classes)`` of float64."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D (one class index per example); got shape "
                         f"{labels.shape}")
    if labels.size == 0:
        raise ValueError("labels is empty")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"labels must be whole class indices; got dtype {labels.dtype}")
        labels = labels.astype(int)
    if labels.min() < 0:
        raise ValueError(f"labels must be >= 0; got {labels.min()}")
    if n_classes is None:
        n_classes = int(labels.max()) + 1
    n_classes = v.integer(n_classes, "n_classes", low=1)
    if labels.max() >= n_classes:
        raise ValueError(f"labels must be < n_classes = {n_classes}; got {labels.max()}")
    Y = np.zeros((labels.size, n_classes))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def _labels_out(labels, n_classes, one_hot_):
    if one_hot_:
        return one_hot(labels, n_classes)
    if n_classes != 2:
        raise ValueError("one_hot=False is only for two-class sets")
    return labels.astype(np.float64)[:, None]


def xor(one_hot=False):
    """The four XOR points: ``X`` (4, 2), ``Y`` (4, 1) with y = x₁ XOR x₂ (or (4, 2) one-hot)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    return X, _labels_out(labels, 2, one_hot)


def toy3(m=90, seed=0):
    """Document 003's setting: 3 features, 3 classes; three Gaussian clusters, ``Y`` one-hot (m, 3)."""
    m = v.integer(m, "m", low=3)
    rng = np.random.default_rng(v.integer(seed, "seed", low=0))
    centres = np.array([[1.5, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, 0.0, 1.5]])
    labels = np.arange(m) % 3
    X = centres[labels] + 0.6 * rng.standard_normal((m, 3))
    return X, one_hot(labels, 3)


def moons(m=200, noise=0.2, seed=0, one_hot=False):
    """Two interleaving half circles in 2-D with Gaussian noise."""
    m = v.integer(m, "m", low=2)
    noise = v.real(noise, "noise", low=0.0)
    rng = np.random.default_rng(v.integer(seed, "seed", low=0))
    labels = np.arange(m) % 2
    t = np.pi * rng.random(m)
    X = np.where(labels[:, None] == 0,
                 np.c_[np.cos(t), np.sin(t)],
                 np.c_[1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = X + noise * rng.standard_normal((m, 2))
    return X, _labels_out(labels, 2, one_hot)


def circles(m=200, noise=0.1, factor=0.5, seed=0, one_hot=False):
    """A small circle (class 1) inside a large one (class 0), radius ratio ``factor``."""
    m = v.integer(m, "m", low=2)
    noise = v.real(noise, "noise", low=0.0)
    factor = v.real(factor, "factor", low=0.0, low_inclusive=False, high=1.0)
    rng = np.random.default_rng(v.integer(seed, "seed", low=0))
    labels = np.arange(m) % 2
    t = 2 * np.pi * rng.random(m)
    r = np.where(labels == 1, factor, 1.0)
    X = np.c_[r * np.cos(t), r * np.sin(t)] + noise * rng.standard_normal((m, 2))
    return X, _labels_out(labels, 2, one_hot)


def spirals(m=300, n_classes=3, noise=0.2, seed=0):
    """``n_classes`` interleaved spiral arms in 2-D (cs231n's classic); ``Y`` one-hot."""
    m = v.integer(m, "m", low=2)
    n_classes = v.integer(n_classes, "n_classes", low=2)
    noise = v.real(noise, "noise", low=0.0)
    rng = np.random.default_rng(v.integer(seed, "seed", low=0))
    labels = np.arange(m) % n_classes
    r = rng.random(m)
    theta = labels * (2 * np.pi / n_classes) + 4.0 * r + noise * rng.standard_normal(m)
    X = np.c_[r * np.sin(theta), r * np.cos(theta)]
    return X, one_hot(labels, n_classes)


def load_digits():
    """The 1797 8×8 handwritten digits bundled with scikit-learn.

    ``X`` (1797, 64): pixel intensities scaled from 0..16 to [0, 1];
    ``Y`` (1797, 10): one-hot labels.
    """
    from sklearn.datasets import load_digits as _load

    d = _load()
    return d.data / 16.0, one_hot(d.target, 10)


def load_iris():
    """The 150 iris flowers bundled with scikit-learn: ``X`` (150, 4) standardised, ``Y`` (150, 3)."""
    from sklearn.datasets import load_iris as _load

    d = _load()
    X = (d.data - d.data.mean(axis=0)) / d.data.std(axis=0)
    return X, one_hot(d.target, 3)


def train_test_split(X, Y, test_size=0.25, seed=0):
    """Stratified, seeded split (scikit-learn's): returns ``X_train, X_test, Y_train, Y_test``."""
    from sklearn.model_selection import train_test_split as _split

    X = v.as_matrix(X, "X")
    Y = v.as_matrix(Y, "Y")
    v.same_rows(X, Y)
    test_size = v.real(test_size, "test_size", low=0.0, low_inclusive=False, high=1.0)
    strata = np.argmax(Y, axis=1) if Y.shape[1] > 1 else (Y[:, 0] > 0.5).astype(int)
    return _split(X, Y, test_size=test_size, random_state=v.integer(seed, "seed", low=0),
                  stratify=strata)
