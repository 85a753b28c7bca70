r"""Converting parameters between the conventions the source documents use (chapter 1, appendix).

The course stores a layer as a weight matrix and a separate bias vector,

* ``W`` of shape ``(s_l, s_{l-1})`` (row j holds the weights *into* unit j), and
* ``b`` of shape ``(s_l,)``,

and computes a batch ``Z = A_prev @ W.T + b`` (the row form of :math:`z = W a + b`).
The documents also use two other ways of writing the same layer:

**A bias unit folded into Θ** (document 003, Andrew Ng's notation).  Every
layer's activations get an extra constant unit :math:`a_0 = 1`, and the bias
becomes column 0 of the weight matrix:

.. math:: \Theta = [\, b \mid W \,],\qquad z = \Theta \begin{bmatrix}1\\ a\end{bmatrix} = b + W a .

``Theta`` has shape ``(s_l, 1 + s_{l-1})``.  See :func:`theta_from_wb`,
:func:`wb_from_theta` and :func:`add_bias_unit`.

**Row vectors with** ``x W`` (document 002, and the end of document 000).
An example is a row and the weight matrix stands on the right:
:math:`h = x\,W_{xw}` with ``W_xw`` of shape ``(s_{l-1}, s_l)`` = ``(n_in, n_out)``;
its entry ``W_xw[i, j]`` connects input i to unit j.  It is the transpose of the
course's ``W``: :func:`xw_from_wx` and :func:`wx_from_xw` convert.

Every function returns new arrays (never a view into its argument) and raises a
``TypeError``/``ValueError`` naming the argument, the expected and the actual shape.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v

__all__ = ["theta_from_wb", "wb_from_theta", "add_bias_unit", "xw_from_wx", "wx_from_xw"]


def _bias_vector(b, rows):
    """``b`` as a float64 1-D array of length ``rows``, or a clear error."""
    arr = v.as_float_array(b, "b", f"a 1-D array of numbers with shape (s_l,) = ({rows},)")
    if arr.ndim != 1:
        hint = " (a column? use b.ravel())" if arr.ndim == 2 and 1 in arr.shape else ""
        raise ValueError(f"b must be 1-D with shape (s_l,) = ({rows},); got shape "
                         f"{arr.shape}{hint}")
    if arr.shape[0] != rows:
        raise ValueError(f"b must have one entry per row of W, shape (s_l,) = ({rows},); got "
                         f"shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("b must contain only finite numbers; got NaN or inf")
    return arr


def _matrix(value, name, what):
    """``value`` as a finite float64 2-D array (``_validate.as_matrix``), with a
    weight-matrix hint instead of the "one example?" hint for 1-D input."""
    if not isinstance(value, (str, bytes)) and value is not None and np.ndim(value) == 1:
        raise ValueError(f"{name} must be a 2-D weight matrix with shape {what}; got a 1-D "
                         f"array of shape {np.shape(value)}")
    return v.as_matrix(value, name, what=what)


def theta_from_wb(W, b):
    r"""Fold a separate bias into the weight matrix, bias first (document 003's Θ).

    .. math:: \Theta = [\, b \mid W \,], \qquad \Theta_{j0} = b_j,\quad \Theta_{jk} = W_{jk}\ (k \ge 1).

    Parameters
    ----------
    W : array, shape ``(s_l, s_{l-1})``
        The course's weight matrix of one layer.
    b : array, shape ``(s_l,)``
        Its bias vector.

    Returns
    -------
    Theta : ndarray, shape ``(s_l, 1 + s_{l-1})``
        Column 0 is ``b``, columns ``1 ..`` are ``W``; then
        ``add_bias_unit(A_prev) @ Theta.T`` equals ``A_prev @ W.T + b``.
    """
    W = _matrix(W, "W", "(s_l, s_{l-1})")
    b = _bias_vector(b, W.shape[0])
    return np.column_stack([b, W])


def wb_from_theta(Theta):
    r"""Split document 003's Θ (bias in column 0) into the course's ``(W, b)``.

    Parameters
    ----------
    Theta : array, shape ``(s_l, 1 + s_{l-1})``
        Column 0 holds the bias of each unit (the weight on the bias unit
        :math:`a_0 = 1`); the other columns are the weights.

    Returns
    -------
    W : ndarray, shape ``(s_l, s_{l-1})``
    b : ndarray, shape ``(s_l,)``
    """
    Theta = _matrix(Theta, "Theta", "(s_l, 1 + s_{l-1})")
    if Theta.shape[1] < 2:
        raise ValueError(f"Theta must have at least 2 columns (the bias column and one weight "
                         f"column), shape (s_l, 1 + s_(l-1)); got shape {Theta.shape}")
    return Theta[:, 1:].copy(), Theta[:, 0].copy()


def add_bias_unit(A):
    r"""Prepend the constant bias unit :math:`a_0 = 1` to every example (row) of ``A``.

    Parameters
    ----------
    A : array, shape ``(m, s)``
        Activations of one layer, one example per row.

    Returns
    -------
    ndarray, shape ``(m, 1 + s)``
        ``[1 | A]``: multiply by ``Theta.T`` to get the next layer's ``Z``.
    """
    A = v.as_matrix(A, "A", what="(m, s)")
    return np.column_stack([np.ones(A.shape[0]), A])


def xw_from_wx(W):
    r"""The weight matrix for the row form ``x @ W_xw`` from the course's ``W``.

    Document 002 writes a layer as :math:`h' = x\,W_{xw}` with ``x`` a row; the
    course writes :math:`z = W a` (``Z = A @ W.T`` for a batch).  Both give the
    same numbers when :math:`W_{xw} = W^{\mathsf T}`.

    Parameters
    ----------
    W : array, shape ``(s_l, s_{l-1})``
        The course's weight matrix (column convention, :math:`W a`).

    Returns
    -------
    W_xw : ndarray, shape ``(s_{l-1}, s_l)`` = ``(n_in, n_out)``
        ``W_xw[i, j]`` is the weight from input i to unit j.
    """
    W = _matrix(W, "W", "(s_l, s_{l-1})")
    return W.T.copy()


def wx_from_xw(W_xw):
    r"""The course's ``W`` from a row-convention matrix ``W_xw`` (document 002's ``x W``).

    Parameters
    ----------
    W_xw : array, shape ``(s_{l-1}, s_l)`` = ``(n_in, n_out)``
        ``W_xw[i, j]`` connects input i to unit j.

    Returns
    -------
    W : ndarray, shape ``(s_l, s_{l-1})``
        Its transpose, so that ``A @ W.T`` equals ``A @ W_xw``.
    """
    W_xw = _matrix(W_xw, "W_xw", "(s_{l-1}, s_l) = (n_in, n_out)")
    return W_xw.T.copy()
