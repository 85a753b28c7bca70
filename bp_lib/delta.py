r"""The error terms δ and the gradients they give (chapters 3 and 4).

Definition used throughout: for example *i* and layer *l*,

.. math:: \delta^{(l)}_i = \frac{\partial \ell_i}{\partial z^{(l)}_i},

the gradient of that example's own loss with respect to the layer's
pre-activations (documents 001 and 004 call it 残差, "residual"; at an identity
output with squared error it is a − y, *minus* the statistical residual y − a).  A batch of δ is
stored like everything else, one example per row: ``delta`` is ``(m, s_l)``.
The 1/m of the cost enters only when the per-example gradients are averaged
into ``dW`` and ``db`` (:func:`layer_gradients`).

Output layer, general case (any loss, any output activation):

.. math:: \delta^{(L)} = J_f(z^{(L)})^{\mathsf T}\, \frac{\partial \ell}{\partial a^{(L)}},

which for an element-wise ``f`` is :math:`\frac{\partial\ell}{\partial a} \odot f'(z)`.
Two pairs collapse to :math:`a - y` and have functions of their own.

Hidden layers, the backward recursion (row form of
:math:`\delta^{(l)} = (W^{(l+1)})^{\mathsf T}\delta^{(l+1)} \odot f'(z^{(l)})`):

.. math:: \Delta^{(l)} = \big(\Delta^{(l+1)} W^{(l+1)}\big) \odot f'(Z^{(l)}).
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from . import activations as _act
from . import losses as _losses


def output_delta_mse(Z, A, Y, activation="sigmoid"):
    r"""δ⁽ᴸ⁾ for the squared error :math:`\tfrac12\lVert a-y\rVert^2`.

    Element-wise output: :math:`\delta^{(L)} = (a - y)\odot f'(z)`; softmax
    output: the Jacobian-vector product :math:`J_{\mathrm{softmax}}^{\mathsf T}(a-y)`.
    ``Z``, ``A``, ``Y``: ``(m, s_L)``; returns ``(m, s_L)`` (per example, not divided by m).
    """
    if Z is None:                      # f' read off A (sigmoid, tanh, softmax need no Z)
        A, Y = _same_shape(A=A, Y=Y)
    else:
        Z, A, Y = _same_shape(Z=Z, A=A, Y=Y)
    return _act.get(activation).backward(Z, A, A - Y)


def output_delta_sigmoid_cross_entropy(A, Y, out=None):
    r"""δ⁽ᴸ⁾ for sigmoid outputs with per-output binary cross-entropy: :math:`a - y`.

    :math:`\frac{\partial\ell}{\partial a}=\frac{a-y}{a(1-a)}` meets
    :math:`\sigma'(z)=a(1-a)` and the two cancel.  Shapes ``(m, s_L)``.
    """
    A, Y = _same_shape(A=A, Y=Y)
    return np.subtract(A, Y, out=out)


def output_delta_softmax_cross_entropy(A, Y, out=None):
    r"""δ⁽ᴸ⁾ for softmax outputs with categorical cross-entropy: :math:`a - y`.

    Through the full Jacobian: :math:`\delta_i=\sum_k (-y_k/a_k)\,a_k(\mathbb 1[k=i]-a_i)
    = -y_i + a_i\sum_k y_k = a_i - y_i` (the labels of a row sum to 1).
    Shapes ``(m, K)``.
    """
    A, Y = _same_shape(A=A, Y=Y)
    return np.subtract(A, Y, out=out)


def output_delta(Z, A, Y, output, loss, out=None):
    r"""δ⁽ᴸ⁾ for any supported (output activation, loss) pair, per example.

    .. math:: \delta^{(L)} = J_f(z^{(L)})^{\mathsf T}\,\frac{\partial\ell}{\partial a^{(L)}},
              \qquad J_f[k, j] = \partial a_k/\partial z_j,

    which is :math:`\frac{\partial\ell}{\partial a}\odot f'(z)` for an
    element-wise ``f`` (squared error: :math:`(a-y)\odot f'(z)`).  The two
    matched pairs, sigmoid + ``"cross_entropy"`` and softmax +
    ``"softmax_cross_entropy"``, collapse to :math:`a - y` and use that
    shortcut (written into ``out`` when given).

    ``Z``, ``A``, ``Y``: ``(m, s_L)``, one example per row; returns ``(m, s_L)``,
    row i being :math:`\partial\ell_i/\partial z_i` — not divided by m (the
    1/m of the mean cost enters in :func:`layer_gradients`).
    """
    output = _act.get(output).name
    loss_ = _losses.get(loss)
    if output not in loss_.outputs:
        raise ValueError(f"loss {loss_.name!r} is not defined for a {output!r} output; it follows "
                         f"{' or '.join(repr(o) for o in loss_.outputs)}")
    loss = loss_.name
    Z, A, Y = _same_shape(Z=Z, A=A, Y=Y) if Z is not None else (None, *_same_shape(A=A, Y=Y))
    if loss == "cross_entropy" and output == "sigmoid":
        return output_delta_sigmoid_cross_entropy(A, Y, out)
    if loss == "softmax_cross_entropy" and output == "softmax":
        return output_delta_softmax_cross_entropy(A, Y, out)
    if loss == "mse":
        return output_delta_mse(Z, A, Y, output)
    # Any other pair: the general rule, J_f^T ∂ℓ/∂a.
    return _act.get(output).backward(Z, A, _losses.get(loss).grad(A, Y))


def hidden_delta(delta_next, W_next, Z, activation="sigmoid", *, A=None, out=None, scratch=None):
    r"""δ⁽ˡ⁾ from δ⁽ˡ⁺¹⁾: :math:`\Delta^{(l)} = (\Delta^{(l+1)} W^{(l+1)}) \odot f'(Z^{(l)})`.

    Shapes: ``delta_next`` ``(m, s_{l+1})``, ``W_next`` ``(s_{l+1}, s_l)``,
    ``Z`` ``(m, s_l)``; returns ``(m, s_l)``.  In column form this is
    :math:`\delta^{(l)} = \big((W^{(l+1)})^{\mathsf T}\delta^{(l+1)}\big)\odot f'(z^{(l)})`,
    index by index :math:`\delta^{(l)}_k = f'(z^{(l)}_k)\sum_j W^{(l+1)}_{jk}\delta^{(l+1)}_j`
    (the weights *leaving* unit k).  The product is the third output of the
    linear layer :math:`z = Wa + b`'s backward step (:math:`\partial\ell/\partial a = W^{\mathsf T}\delta`;
    the other two, :math:`\delta a^{\mathsf T}` and :math:`\delta`, are :func:`layer_gradients`);
    ``⊙ f'`` is the activation's.  With examples as rows the transpose moves
    to the other side.  ``activation`` names the hidden layer's element-wise f
    (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``); shapes that do not
    fit raise ``ValueError`` naming all three.

    Optional, for a training loop: ``A`` = f(Z), the layer's stored activations (sigmoid and
    tanh read f' off them instead of recomputing f); ``out`` and ``scratch``, ``(m, s_l)``
    arrays to write the result and the one intermediate into instead of new memory.
    """
    act = _act.get(activation)
    if not act.elementwise:
        raise ValueError(f"activation of a hidden layer must be one of "
                         f"{list(_act.HIDDEN_ACTIVATIONS)}; got {act.name!r}")
    delta_next, W_next, Z = (_shape("delta_next", delta_next, 2), _shape("W_next", W_next, 2),
                             _shape("Z", Z, 2))
    if W_next.shape[0] != delta_next.shape[1] or W_next.shape[1] != Z.shape[1] \
            or delta_next.shape[0] != Z.shape[0]:
        raise ValueError(f"hidden_delta expects delta_next (m, s_next), W_next (s_next, s_l), "
                         f"Z (m, s_l); got delta_next {delta_next.shape}, W_next {W_next.shape}, "
                         f"Z {Z.shape}")
    for name, arr in (("A", A), ("out", out), ("scratch", scratch)):
        _given(name, arr, Z.shape, "shaped like Z ")
    G = np.matmul(delta_next, W_next, out=out)          # the linear step: ∂ℓ/∂a = Δ W
    return act.backward.inplace(G, Z, A, scratch)       # the activation's step: ⊙ f'(Z)


def layer_gradients(delta, A_prev, *, out=None):
    r"""The batch-mean gradients of one layer from its δ.

    .. math:: \frac{\partial J}{\partial W^{(l)}} = \frac1m \Delta^{(l)\mathsf T} A^{(l-1)},
              \qquad \frac{\partial J}{\partial b^{(l)}} = \frac1m \sum_i \delta^{(l)}_i

    For one example the two are :math:`\delta\,(a^{(l-1)})^{\mathsf T}` (an
    outer product: entry (j, k) is :math:`\delta_j a_k`) and :math:`\delta`
    (the bias is a weight on a constant input 1); over the batch they are
    **averaged** (the cost is a mean).  A summed cost (document 000's batch
    mode) would give m times these.  With 003's bias unit
    :math:`\Theta = [\,b \mid W\,]`, the Θ-gradient is ``[db | dW]``: its
    column 0 is ``db``.

    ``delta`` ``(m, s_l)``, ``A_prev`` ``(m, s_{l-1})`` → ``dW`` ``(s_l, s_{l-1})``, ``db`` ``(s_l,)``.
    ``out``, optional: a pair ``(dW, db)`` of arrays of those shapes to write into.
    """
    delta, A_prev = _shape("delta", delta, 2), _shape("A_prev", A_prev, 2)
    if delta.shape[0] != A_prev.shape[0]:
        raise ValueError(f"delta and A_prev must have the same number of rows (examples); got "
                         f"delta {delta.shape} and A_prev {A_prev.shape}")
    dW_out, db_out = (None, None) if out is None else out
    _given("out[0] (dW)", dW_out, (delta.shape[1], A_prev.shape[1]), "of shape ")
    _given("out[1] (db)", db_out, (delta.shape[1],), "of shape ")
    m = delta.shape[0]
    dW = np.matmul(delta.T, A_prev, out=dW_out)         # Δᵀ A: Σ_i δ_i a_iᵀ
    dW *= 1.0 / m
    # Σ_i δ_i / m, the mean row, as the product Δᵀ (1/m, …, 1/m): faster than numpy's column sums
    db = np.matmul(delta.T, np.full(m, 1.0 / m), out=db_out)
    return dW, db


def _shape(name, x, ndim):
    """``x`` as a float64 array with ``ndim`` dimensions (lists and integer arrays accepted)."""
    arr = v.as_float_array(x, name, f"a {ndim}-D array of numbers (one example per row)")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D (one example per row); got shape {arr.shape}")
    return arr


def _given(name, arr, shape, what):
    """An optional array argument (``out=``, ``A=``…): ``None``, or an array of ``shape``."""
    if arr is not None and (not isinstance(arr, np.ndarray) or arr.shape != shape):
        got = arr.shape if isinstance(arr, np.ndarray) else type(arr).__name__
        raise ValueError(f"{name} must be an array {what}{shape}; got {got}")


def _same_shape(**arrays):
    """Each array 2-D, all of one shape ``(m, s_L)``; returns them in order."""
    out = [_shape(name, x, 2) for name, x in arrays.items()]
    shapes = {x.shape for x in out}
    if len(shapes) > 1:
        got = ", ".join(f"{name} {x.shape}" for name, x in zip(arrays, out))
        raise ValueError(f"{', '.join(arrays)} must all have the shape (m, s_L); got {got}")
    return out
