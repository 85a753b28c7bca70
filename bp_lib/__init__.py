r"""bp_lib — the small numpy library behind the backpropagation course.

Conventions (stated once, used everywhere):

* **Examples are rows.**  A batch ``X`` is ``(m, n_in)``; targets ``Y`` are
  ``(m, s_L)`` (one-hot rows for classes, see :func:`one_hot`).
* **Weights keep the math's shape.**  ``W⁽ˡ⁾`` is ``(s_l, s_{l-1})`` and
  ``b⁽ˡ⁾`` is ``(s_l,)``, so a layer computes ``Z = A_prev @ W.T + b`` — the row
  form of :math:`z = W a + b`.
* **δ is per example.**  ``delta`` of a layer is ``(m, s_l)``, row i being
  :math:`\partial \ell_i / \partial z_i`.
* **The cost is a mean.**  :math:`J = \frac1m\sum_i \ell_i + \frac{\lambda}{2n}\sum_l\lVert W^{(l)}\rVert^2`,
  ``n`` the size of the training set (``m`` when the batch is the training set),
  with :math:`\ell = \tfrac12\lVert a-y\rVert^2` for ``"mse"``; biases are not penalized.

Modules, one per idea (and per chapter): ``notation`` and ``activations`` (1),
``losses`` (2), ``delta`` (3, 4), ``regularization`` (5), ``network`` and
``training`` (6), ``crosswalk`` (the appendix: every document's notation),
``gradcheck``, ``datasets``, ``plots`` and ``widgets`` (figures and sliders),
``exercises`` (graded checks) and ``grade`` (``python -m bp_lib.grade``).

What the library shows a reader (check messages, widget labels, the words of figures) is in
English, or in Chinese after ``bp_lib.set_language("zh")`` (:mod:`bp_lib.i18n`).
"""

from . import activations, crosswalk, datasets, delta, gradcheck, losses, notation, regularization
from .datasets import one_hot
from .i18n import get_language, set_language
from .gradcheck import array_relative_error, gradient_check, numerical_gradient, relative_error
from .network import BackpropTrace, ForwardTrace, Network
from .training import History, train

__version__ = "0.1.0"

__all__ = [
    "Network", "ForwardTrace", "BackpropTrace", "train", "History", "gradient_check",
    "numerical_gradient", "relative_error", "array_relative_error", "one_hot", "activations",
    "losses", "delta", "set_language", "get_language", "regularization", "gradcheck", "datasets", "notation", "crosswalk",
]
