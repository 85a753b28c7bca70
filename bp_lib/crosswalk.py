r"""The notation crosswalk (appendix): one network, written the way each source document writes it.

:mod:`bp_lib.notation` converts one layer (``Θ = [b | W]``, ``W ↔ Wᵀ``).  This module
works on whole networks and says what the documents' numbers *mean*:

* **parameters** — the course's ``(weights, biases)`` lists as document 003's ``Θ``
  list (:func:`thetas_from_network`), as row-convention matrices for ``x W``
  (document 002 and the end of 000: :func:`row_params_from_network`), and as the
  ``state_dict`` of a PyTorch ``nn.Sequential`` of ``nn.Linear`` layers
  (:func:`linear_state_dict`; ``weight`` is ``(out, in)`` and a layer computes
  ``x @ weight.T + bias`` — exactly the course's layout), and as a real float64 PyTorch
  model (:func:`torch_sequential`, which needs ``torch``; nothing else here does);
* **forward passes written in each notation** (:func:`forward_column`,
  :func:`forward_theta`, :func:`forward_row`; :func:`forward_linear` is a numpy
  emulation of ``nn.Linear``'s arithmetic, *not* PyTorch — the check against real PyTorch
  is :func:`torch_sequential` in ``tests/test_pytorch.py`` and the appendix), so that a
  conversion is checked by computing the same output;
* **layer numbers** (:func:`doc_layer`, :func:`course_layer`): every document numbers the
  weight matrices alike, but 002, 003 and 004 call the input layer 1, so their
  :math:`z^{(l+1)}, \delta^{(l+1)}` are the course's :math:`z^{(l)}, \delta^{(l)}`
  (001 defines the course's numbering but switches to 003/004's pairing from its (9.17) on;
  ``DOCUMENTS[doc]["numbering"]`` says so);
* **the regularization strength** (:func:`convert_lambda`): the course and 003 penalize
  :math:`\frac{\lambda}{2m}\sum W^2`, 004 :math:`\frac{\lambda}{2}\sum W^2`, so the same
  penalty needs :math:`\lambda_{004} = \lambda/m`.  PyTorch's ``SGD(weight_decay=wd)``
  adds ``wd * p`` to the gradient of *every* parameter in its group, biases included:
  matching the course takes two groups, the weights with ``weight_decay = λ/n`` and the
  biases with ``weight_decay = 0`` (n the training-set size, also for mini-batches).

Every function validates its input and raises a ``TypeError``/``ValueError`` that names
the argument, what was expected and what arrived.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from . import activations as _act
from . import notation as _notation
from .network import Network

__all__ = ["DOCUMENTS", "thetas_from_network", "network_from_thetas", "row_params_from_network",
           "linear_state_dict", "network_from_state_dict", "forward_column", "forward_theta",
           "forward_row", "forward_linear", "torch_sequential", "doc_layer", "course_layer",
           "convert_lambda"]

#: The source documents by their number, with what the crosswalk needs to know of each.
#: ``layer_offset``: add it to the course's unit-layer number to get the document's.
#: ``penalty``: how the L2 term is scaled (``"2m"``: λ/(2m) ΣW², ``"2"``: λ/2 ΣW², None: none).
#: ``numbering``: where the document's layer numbers come from, in its own words' terms.
DOCUMENTS = {
    "000": dict(layer_offset=0, penalty=None, convention="column",
                numbering="input is layer 0: its nested loss applies W^(1) to x (x^(0)); its "
                          "loop 'l = n_l-1, ..., 2' counts as if the input were layer 1"),
    "001": dict(layer_offset=0, penalty=None, convention="column",
                numbering="defines z^(l) = W^(l) x^(l) + b^(l) (W^(l) feeds layer l, as in the "
                          "course); from (9.17) on W^(l) goes with z^(l+1), as in 003/004"),
    "002": dict(layer_offset=1, penalty=None, convention="row",
                numbering="input is layer 1: W^k connects layer k and layer k+1, W^1 reads x"),
    "003": dict(layer_offset=1, penalty="2m", convention="column, bias unit in Θ",
                numbering="input is layer 1: a^(1) = x, z^(l+1) = Θ^(l) a^(l)"),
    "004": dict(layer_offset=1, penalty="2", convention="column",
                numbering="input is layer 1: z^(l+1) = W^l a^l + b^l"),
    "course": dict(layer_offset=0, penalty="2m", convention="column math, rows in code",
                   numbering="input is layer 0: a^(0) = x, z^(l) = W^(l) a^(l-1) + b^(l)"),
    # torch.optim.SGD(weight_decay=wd) adds wd·p to the gradient of every parameter p of its
    # param group (the gradient of wd/2 Σp²), biases included unless they sit in a group of
    # their own with weight_decay=0.  nn.Sequential has no layer numbers, only module indices.
    "pytorch": dict(layer_offset=0, penalty="2", convention="rows, weight (out, in)",
                    numbering="modules counted from 0 (Linear, activation, Linear, ...)"),
}


# ------------------------------------------------------------------ checks
def _network(net, name="net"):
    if not isinstance(net, Network):
        raise TypeError(f"{name} must be a bp_lib.Network; got {type(net).__name__}")
    net._check_parameters()
    return net


def _array_list(value, name):
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a non-empty list of arrays, one per weight layer; got "
                        f"{type(value).__name__}")
    return list(value)


def _chain(shapes, name, out_axis):
    """Check that consecutive layers fit: layer l's output size is layer l+1's input size."""
    for l in range(len(shapes) - 1):
        n_out = shapes[l][out_axis]
        n_in_next = shapes[l + 1][1 - out_axis]
        if out_axis == 0 and name == "Thetas":
            n_in_next -= 1  # Θ has the bias column on top of the inputs
        if n_out != n_in_next:
            raise ValueError(f"{name}[{l}] gives {n_out} units but {name}[{l + 1}] expects "
                             f"{n_in_next} inputs; got shapes {[tuple(s) for s in shapes]}")


def _activation_names(hidden, output):
    v.choice(hidden, "hidden", _act.HIDDEN_ACTIVATIONS)
    v.choice(output, "output", _act.OUTPUT_ACTIVATIONS)
    return _act.ACTIVATIONS[hidden], _act.ACTIVATIONS[output]


def _layer_activation(l, L, hidden, output):
    return output if l == L - 1 else hidden


# -------------------------------------------------------------- parameters
def thetas_from_network(net):
    """Document 003's list of Θ, one per weight layer: ``Θ⁽ˡ⁾ = [b⁽ˡ⁾ | W⁽ˡ⁾]``, shape
    ``(s_l, 1 + s_{l-1})`` (the same list index as ``net.weights``)."""
    net = _network(net)
    return [_notation.theta_from_wb(W, b) for W, b in zip(net.weights, net.biases)]


def network_from_thetas(Thetas, hidden="sigmoid", output="sigmoid", loss="mse"):
    """A :class:`~bp_lib.Network` whose parameters are document 003's Θ list (bias column 0)."""
    Thetas = [_notation._matrix(T, f"Thetas[{l}]", "(s_l, 1 + s_{l-1})")
              for l, T in enumerate(_array_list(Thetas, "Thetas"))]
    _chain([T.shape for T in Thetas], "Thetas", 0)
    sizes = [Thetas[0].shape[1] - 1] + [T.shape[0] for T in Thetas]
    net = Network(sizes, hidden=hidden, output=output, loss=loss)
    pairs = [_notation.wb_from_theta(T) for T in Thetas]
    net.weights = [W for W, _ in pairs]
    net.biases = [b for _, b in pairs]
    return net


def row_params_from_network(net):
    """The row convention ``h = f(x W + b)`` (document 002, end of 000): a list of
    ``(W_xw, b)`` with ``W_xw = Wᵀ`` of shape ``(s_{l-1}, s_l)``."""
    net = _network(net)
    return [(_notation.xw_from_wx(W), b.copy()) for W, b in zip(net.weights, net.biases)]


def linear_state_dict(net):
    r"""The parameters as the ``state_dict`` of ``nn.Sequential(Linear, act, Linear, act, …)``.

    PyTorch's ``nn.Linear(in_features, out_features)`` stores ``weight`` with shape
    ``(out_features, in_features)`` and computes ``x @ weight.T + bias``: the course's
    layout, so the arrays are copied unchanged.  Keys follow ``nn.Sequential``'s numbering,
    where every activation module takes an index too: ``"0.weight"``, ``"0.bias"``,
    ``"2.weight"``, … (numpy arrays here; ``torch.from_numpy`` would turn them into tensors).
    """
    net = _network(net)
    state = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        state[f"{2 * l}.weight"] = W.copy()
        state[f"{2 * l}.bias"] = b.copy()
    return state


def network_from_state_dict(state, hidden="sigmoid", output="sigmoid", loss="mse"):
    """A :class:`~bp_lib.Network` from a :func:`linear_state_dict`-style dict."""
    if not isinstance(state, dict) or not state:
        raise TypeError(f"state must be a non-empty dict like {{'0.weight': W, '0.bias': b, "
                        f"'2.weight': …}}; got {type(state).__name__}")
    indices = sorted({int(k.split(".")[0]) for k in state if k.split(".")[0].isdigit()})
    expected = {f"{i}.{p}" for i in indices for p in ("weight", "bias")}
    if not indices or set(state) != expected or indices != list(range(0, 2 * len(indices), 2)):
        raise ValueError(f"state must have keys '0.weight', '0.bias', '2.weight', '2.bias', … "
                         f"(nn.Sequential with an activation between Linear layers); got "
                         f"{sorted(state)}")
    Ws = [_notation._matrix(state[f"{i}.weight"], f"state['{i}.weight']", "(out, in)")
          for i in indices]
    _chain([W.shape for W in Ws], "weights", 0)
    sizes = [Ws[0].shape[1]] + [W.shape[0] for W in Ws]
    net = Network(sizes, hidden=hidden, output=output, loss=loss)
    net.weights = Ws
    net.biases = [_notation._bias_vector(state[f"{i}.bias"], W.shape[0])
                  for i, W in zip(indices, Ws)]
    return net


# ------------------------------------------------- forward passes, per notation
def forward_column(weights, biases, x, hidden="sigmoid", output="sigmoid"):
    r"""One example as a column, the way 000, 001 and 004 write it: :math:`z = W a + b`, :math:`a = f(z)`.

    ``x`` has shape ``(n_in,)`` or ``(n_in, 1)``; returns the output column ``(s_L, 1)``.
    """
    weights = _array_list(weights, "weights")
    biases = _array_list(biases, "biases")
    if len(weights) != len(biases):
        raise ValueError(f"weights and biases must have one entry per layer; got "
                         f"{len(weights)} and {len(biases)}")
    f_hidden, f_out = _activation_names(hidden, output)
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] != 1:
        raise ValueError(f"x must be one example as a column, shape (n_in,) or (n_in, 1); got "
                         f"shape {np.shape(x)}")
    L = len(weights)
    for l, (W, b) in enumerate(zip(weights, biases)):
        W = _notation._matrix(W, f"weights[{l}]", "(s_l, s_{l-1})")
        b = _notation._bias_vector(b, W.shape[0])
        if W.shape[1] != a.shape[0]:
            raise ValueError(f"weights[{l}] must have {a.shape[0]} columns (one per input); got "
                             f"shape {W.shape}")
        z = W @ a + b[:, None]
        f = _layer_activation(l, L, f_hidden, f_out)
        a = f(z.T).T  # activations act on rows; one example is one row of z.T
    return a


def forward_theta(Thetas, X, hidden="sigmoid", output="sigmoid"):
    r"""Document 003's forward pass, rows as examples: prepend :math:`a_0 = 1`, then :math:`z = \Theta a`.

    ``X`` ``(m, n_in)`` → output ``(m, s_L)``.
    """
    Thetas = _array_list(Thetas, "Thetas")
    f_hidden, f_out = _activation_names(hidden, output)
    A = v.as_matrix(X, "X", what="(m, n_in)")
    L = len(Thetas)
    for l, T in enumerate(Thetas):
        T = _notation._matrix(T, f"Thetas[{l}]", "(s_l, 1 + s_{l-1})")
        if T.shape[1] != A.shape[1] + 1:
            raise ValueError(f"Thetas[{l}] must have 1 + {A.shape[1]} columns (bias column, "
                             f"then one per input); got shape {T.shape}")
        A = _layer_activation(l, L, f_hidden, f_out)(_notation.add_bias_unit(A) @ T.T)
    return A


def forward_row(row_params, X, hidden="sigmoid", output="sigmoid"):
    r"""The row convention of document 002: :math:`h = f(x\,W + b)` with ``W`` ``(s_{l-1}, s_l)``.

    ``row_params`` is a list of ``(W_xw, b)``; ``X`` ``(m, n_in)`` → ``(m, s_L)``.
    """
    row_params = _array_list(row_params, "row_params")
    f_hidden, f_out = _activation_names(hidden, output)
    A = v.as_matrix(X, "X", what="(m, n_in)")
    L = len(row_params)
    for l, pair in enumerate(row_params):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"row_params[{l}] must be a pair (W_xw, b); got "
                            f"{type(pair).__name__}")
        W_xw = _notation._matrix(pair[0], f"row_params[{l}][0]", "(s_{l-1}, s_l)")
        if W_xw.shape[0] != A.shape[1]:
            raise ValueError(f"row_params[{l}][0] must have {A.shape[1]} rows (one per input) in "
                             f"the row convention; got shape {W_xw.shape} (a column-convention "
                             f"W? transpose it with bp_lib.notation.xw_from_wx)")
        if np.shape(pair[1]) != (W_xw.shape[1],):
            raise ValueError(f"row_params[{l}][1] (the bias) must have shape (s_l,) = "
                             f"({W_xw.shape[1]},), one entry per column of W_xw; got shape "
                             f"{np.shape(pair[1])}")
        b = _notation._bias_vector(pair[1], W_xw.shape[1])
        A = _layer_activation(l, L, f_hidden, f_out)(A @ W_xw + b)
    return A


def forward_linear(state, X, hidden="sigmoid", output="sigmoid"):
    """The arithmetic of ``nn.Sequential(nn.Linear, act, …)`` emulated with numpy (no torch):
    ``x @ weight.T + bias`` per layer.  ``X`` ``(m, n_in)`` → ``(m, s_L)``.

    This checks that :func:`linear_state_dict` keeps every array in its place; it is the
    course's own forward pass, so it says nothing about PyTorch itself.  The comparison with
    real PyTorch uses :func:`torch_sequential`."""
    net = network_from_state_dict(state, hidden=hidden, output=output)
    return net.forward(X)


_TORCH_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU", "identity": "Identity"}


def torch_sequential(net):
    """The network as a real PyTorch model in float64: ``nn.Sequential(nn.Linear, act, …)``.

    Layer l+1 of the course (``net.weights[l]`` ``(s_{l+1}, s_l)``, ``net.biases[l]``
    ``(s_{l+1},)``) becomes module ``2l``, an ``nn.Linear(s_l, s_{l+1})`` whose ``weight`` and
    ``bias`` are copies of them (the layouts are the same), and module ``2l+1`` is its
    activation (``nn.Sigmoid``, ``nn.Tanh``, ``nn.ReLU``, ``nn.Identity``, or
    ``nn.Softmax(dim=1)`` for a softmax output): the model computes :math:`a^{(L)}` for a
    ``(m, n_in)`` float64 tensor, and ``model.state_dict()`` has the keys of
    :func:`linear_state_dict`.  Each ``nn.Linear`` computes ``Z = A @ weight.T + bias``, the
    row form of :math:`z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}`, exactly as ``net.forward`` does.
    The loss is not part of the model.

    Needs ``torch`` (not in the learner's requirements): raises ``ModuleNotFoundError``
    saying how to install it when it is missing.
    """
    net = _network(net)
    try:
        import torch
        from torch import nn
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("torch_sequential needs PyTorch, which the course's "
                                  "requirements.txt leaves out: pip install torch "
                                  "(the CPU build is enough)") from err
    modules = []
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        linear = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        name = net.layer_activation(l + 1)
        act = nn.Softmax(dim=1) if name == "softmax" else getattr(nn, _TORCH_ACTIVATIONS[name])()
        modules += [linear, act]
    return nn.Sequential(*modules)


# ------------------------------------------------------------ layer numbers
def _doc(doc, name="doc"):
    if not isinstance(doc, str) or doc not in DOCUMENTS:
        raise ValueError(f"{name} must be one of {sorted(DOCUMENTS)}; got {doc!r}")
    return DOCUMENTS[doc]


def doc_layer(l, doc):
    r"""The number a document gives the course's layer ``l`` (of :math:`z^{(l)}, a^{(l)}, \delta^{(l)}`).

    The course (like 000, and 001's definitions) calls the input layer 0, so the first layer
    with weights is 1; 002, 003 and 004 call the input layer 1, so the course's
    :math:`\delta^{(l)}` is their :math:`\delta^{(l+1)}`.  001 switches to that pairing from
    its (9.17) on, which ``DOCUMENTS["001"]["numbering"]`` records; its offset here is that of
    its definitions.  Weight matrices carry the same number everywhere
    (``W⁽ˡ⁾``, ``Θ⁽ˡ⁾``, ``W^l``): what differs is where the units are counted from.
    """
    l = v.integer(l, "l", low=0)
    return l + _doc(doc)["layer_offset"]


def course_layer(l_doc, doc):
    """The course's number of a document's layer ``l_doc`` (inverse of :func:`doc_layer`)."""
    offset = _doc(doc)["layer_offset"]
    l_doc = v.integer(l_doc, "l_doc", low=offset)
    return l_doc - offset


# ------------------------------------------------------------------- lambda
_PENALTY_DIVISOR = {"2m": lambda m: 2.0 * m, "2": lambda m: 2.0}


def convert_lambda(lam, m, frm="course", to="004"):
    r"""The λ that gives the same penalty under another document's scaling.

    The course and 003 write :math:`\frac{\lambda}{2m}\sum W^2`, 004 writes
    :math:`\frac{\lambda}{2}\sum W^2` (no 1/m), so
    ``convert_lambda(lam, m, "course", "004") == lam / m`` and back.  ``m`` is the number the
    course's 1/m divides by: the training-set size n, also when training on mini-batches
    (chapter 5.6), never the batch size.

    ``"pytorch"`` is the ``weight_decay`` of ``torch.optim.SGD`` on a mean loss, scaled like
    004: ``wd = lam / n``.  SGD adds ``wd * p`` to *every* parameter in the group, biases
    included, while the course leaves biases alone; so give the optimizer two groups::

        SGD([{"params": [weights...], "weight_decay": lam / n},
             {"params": [biases...], "weight_decay": 0.0}], lr=eta)
    """
    lam = v.real(lam, "lam", low=0.0)
    m = v.integer(m, "m", low=1)
    scales = {}
    for name, doc in (("frm", frm), ("to", to)):
        penalty = _doc(doc, name)["penalty"]
        if penalty is None:
            raise ValueError(f"document {doc} has no regularization term: nothing to convert "
                             f"({name}={doc!r}); documents with one: "
                             f"{[d for d, info in DOCUMENTS.items() if info['penalty']]}")
        scales[name] = _PENALTY_DIVISOR[penalty](m)
    return lam * scales["to"] / scales["frm"]
