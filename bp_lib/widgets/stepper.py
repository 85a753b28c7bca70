r"""Chapter 4's δ stepper: forward one layer at a time, then backward one layer at a time.

The work is done by :func:`stepper_figure`, a plain function that draws step
``step`` and returns the figure; :func:`delta_stepper` only wraps it in a
slider with Play / Prev / Next buttons and an image.  The steps of an L-layer network:

* step 0 — the input :math:`A^{(0)} = X`;
* steps 1 … L — forward through layer l: :math:`Z^{(l)} = A^{(l-1)}W^{(l)\mathsf T} + b^{(l)}`,
  :math:`A^{(l)} = f(Z^{(l)})`;
* step L+1 — the output error term :math:`\Delta^{(L)}`;
* steps L+2 … 2L — backward through layer l = L−1 … 1:
  :math:`\Delta^{(l)} = (\Delta^{(l+1)}W^{(l+1)}) \odot f'(Z^{(l)})`.

So there are :func:`n_steps` ``= 2L + 1`` steps, numbered from 0.
"""

from __future__ import annotations

import io

import matplotlib.pyplot as plt

from .. import _validate as v
from ..i18n import tr
from ..plots.core import check_history, check_network
from ..plots.deltas import plot_trace_heatmaps

_F_PRIME = {"sigmoid": "\\sigma'", "tanh": "\\tanh'", "relu": "\\mathrm{relu}'",
            "identity": "1", "softmax": "J_{\\mathrm{softmax}}"}
_F = {"sigmoid": "\\sigma", "tanh": "\\tanh", "relu": "\\mathrm{relu}", "identity": "",
      "softmax": "\\mathrm{softmax}"}


def n_steps(net):
    """Number of steps of the stepper for ``net``: ``2 L + 1`` (input, L forward, L backward)."""
    return 2 * check_network(net).n_layers + 1


def describe_step(net, step):
    """``(phase, layer, equation, shapes)`` of step ``step``: what it computes, as mathtext."""
    L = check_network(net).n_layers
    step = v.integer(step, "step", low=0, high=2 * L)
    s = net.sizes
    if step == 0:
        return ("input", 0, "$A^{(0)} = X$", f"X: (m, n_in) = (m, {s[0]}), one example per row")
    if step <= L:
        l = step
        f = _F[net.layer_activation(l)]
        eq = (f"$Z^{{({l})}} = A^{{({l - 1})}}\\,W^{{({l})\\top}} + b^{{({l})}}$,   "
              f"$A^{{({l})}} = {f}(Z^{{({l})}})$" if f else
              f"$Z^{{({l})}} = A^{{({l - 1})}}\\,W^{{({l})\\top}} + b^{{({l})}}$,   "
              f"$A^{{({l})}} = Z^{{({l})}}$")
        shapes = f"(m, {s[l - 1]}) @ ({s[l - 1]}, {s[l]}) + ({s[l]},) → (m, {s[l]})"
        return ("forward", l, eq, shapes)
    if step == L + 1:
        out = net.output
        if net.loss == "mse" and out != "softmax":
            eq = f"$\\Delta^{{({L})}} = (A^{{({L})}} - Y) \\odot {_F_PRIME[out]}(Z^{{({L})}})$"
        elif net.loss == "mse":
            eq = f"$\\Delta^{{({L})}} = (A^{{({L})}} - Y)$ through the softmax Jacobian"
        else:
            eq = f"$\\Delta^{{({L})}} = A^{{({L})}} - Y$"
        return ("output δ", L, eq, f"(m, {s[L]}): one row of δ per example")
    l = 2 * L + 1 - step            # step L+2 → layer L-1, step 2L → layer 1
    fp = _F_PRIME[net.layer_activation(l)]
    eq = (f"$\\Delta^{{({l})}} = (\\Delta^{{({l + 1})}}\\,W^{{({l + 1})}}) \\odot "
          f"{fp}(Z^{{({l})}})$")
    shapes = f"(m, {s[l + 1]}) @ ({s[l + 1]}, {s[l]}) → (m, {s[l]}), ⊙ (m, {s[l]})"
    return ("backward", l, eq, shapes)


def _shown_and_frames(L, step):
    shown = {("a", 0)}
    for l in range(1, min(step, L) + 1):
        shown |= {("z", l), ("a", l)}
    if step > L:
        for l in range(L, 2 * L + 1 - step - 1, -1):
            shown.add(("delta", l))
    if step == 0:
        return shown, {("a", 0)}, set()
    if step <= L:
        return shown, {("z", step), ("a", step)}, {("a", step - 1)}
    if step == L + 1:
        return shown, {("delta", L)}, {("a", L), ("z", L), ("y", L + 1)}
    l = 2 * L + 1 - step
    return shown, {("delta", l)}, {("delta", l + 1), ("z", l)}


def stepper_figure(net, X, Y, step, trace=None):
    """Draw step ``step`` (0 … ``n_steps(net) − 1``) and return the ``Figure``.

    Every layer's ``Z``, ``A`` and ``Δ`` computed so far is a heat map
    (examples as rows); the blocks the current step computes are framed in
    orange, the ones it reads in blue, and its equation with the shapes is
    written above.  ``trace`` may be ``net.backprop(X, Y)`` computed once, to
    make redraws cheaper.  The caller closes the figure.
    """
    L = net.n_layers
    step = v.integer(step, "step", low=0, high=2 * L)
    if trace is None:
        trace = net.backprop(X, Y)
    phase, layer, eq, shapes = describe_step(net, step)
    shown, highlight, read = _shown_and_frames(L, step)
    m = trace.activations[0].shape[0]
    inch = 0.24                                   # per matrix entry
    data_w = sum(max(n, 3) + 2 for n in net.sizes + [net.sizes[-1]]) + 1
    data_h = 3 * (m + 3.2) + 1
    header = 1.05                                 # inches for the title and the equation
    fig_w, fig_h = max(inch * data_w, 7.0), inch * data_h + header
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    plot_trace_heatmaps(trace, Y, ax=ax, shown=shown, highlight=highlight, read=read)
    top = 1.0 - 0.12 / fig_h
    fig.text(0.01, top, f"step {step} of {2 * L}: {phase}" + (f", layer {layer}" if step else ""),
             fontsize=10, ha="left", va="top", color="0.25")
    fig.text(0.01, top - 0.3 / fig_h, eq, fontsize=13, ha="left", va="top")
    fig.text(0.01, top - 0.72 / fig_h, "shapes: " + shapes + "    (orange: computed now, blue: read)",
             fontsize=8.5, ha="left", va="top", color="0.3")
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1.0 - header / fig_h)
    return fig


def stepper_grid(net, X, Y, steps=None, *, columns=2):
    """The stepper's static version: a grid of a few steps, each with its equation as title.

    ``steps`` defaults to four telling moments: the last forward step, the
    output δ, the first and the last backward step.  Returns the ``Figure``.
    """
    L = net.n_layers
    if steps is None:
        steps = sorted({L, L + 1, min(L + 2, 2 * L), 2 * L})
    steps = [v.integer(k, "steps[i]", low=0, high=2 * L) for k in steps]
    if not steps:
        raise ValueError("steps must name at least one step")
    columns = v.integer(columns, "columns", low=1)
    trace = net.backprop(X, Y)
    m = trace.activations[0].shape[0]
    inch = 0.2
    data_w = sum(max(n, 3) + 2 for n in net.sizes + [net.sizes[-1]]) + 1
    data_h = 3 * (m + 3.2) + 1
    rows = -(-len(steps) // columns)
    columns = min(columns, len(steps))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * inch * data_w,
                                                     rows * (inch * data_h + 0.7)), squeeze=False)
    for ax in axes.flat[len(steps):]:
        ax.axis("off")
    for ax, step in zip(axes.flat, steps):
        phase, layer, eq, _ = describe_step(net, step)
        shown, highlight, read = _shown_and_frames(L, step)
        plot_trace_heatmaps(trace, Y, ax=ax, shown=shown, highlight=highlight, read=read)
        ax.set_title(f"step {step} ({phase}): {eq}", fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def stepper_png(net, X, Y, step, trace=None, dpi=100):
    """Step ``step`` rendered to PNG bytes (what the widget shows); the figure is closed.

    The figure has fixed margins, so it is rendered once, without the second
    layout pass of ``bbox_inches="tight"`` that the inline backend would add.
    """
    dpi = v.real(dpi, "dpi", low=0.0, low_inclusive=False)
    fig = stepper_figure(net, X, Y, step, trace=trace)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buffer.getvalue()


#: The most recent stepper's ``(net, X, Y, trace)``, so a test in a real browser can ask the
#: kernel what :func:`stepper_png` draws for a step (:func:`reference_png`).
_LAST = {}


def reference_png(step):
    """PNG bytes of step ``step`` of the most recently created :func:`delta_stepper` —
    exactly what the widget must show at that step; for the browser test."""
    if not _LAST:
        raise ValueError("no delta_stepper has been created in this kernel")
    from .explorers import DRAW_LOCK

    with DRAW_LOCK:
        return stepper_png(_LAST["net"], _LAST["X"], _LAST["Y"], step, trace=_LAST["trace"])


def delta_stepper(net, X, Y, step=0):
    """The interactive stepper: a slider (with Play, Prev and Next) over :func:`stepper_figure`.

    The slider has ``continuous_update=False`` and the class ``stepper-slider``; the picture
    is an ``ipywidgets.Image`` (class ``stepper-plot``) whose PNG is replaced in one
    assignment.  Buttons and slider may call back on different threads (ipykernel 7 runs
    comm messages on a subshell thread as well as the main one): every read of the step and
    every redraw holds one lock, and a redraw always draws the slider's value *at that
    moment*, so the last picture is the last step asked for.  Each step's picture is drawn
    once and kept; after showing a step the callback draws its two neighbours, so the next
    click only sends a picture.  The backward pass is computed once.  Returns the widget (display it, or let a notebook cell end with it).
    """
    import ipywidgets as widgets

    from .explorers import DRAW_LOCK

    trace = net.backprop(X, Y)
    _LAST.update(net=net, X=X, Y=Y, trace=trace)
    last = n_steps(net) - 1
    slider = widgets.IntSlider(value=step, min=0, max=last, description=tr("step"),
                               continuous_update=False)
    slider.add_class("stepper-slider")
    play = widgets.Play(value=step, min=0, max=last, interval=1500, description=tr("play"))
    widgets.jslink((play, "value"), (slider, "value"))
    prev_button = widgets.Button(description=tr("◀ prev"), layout=widgets.Layout(width="80px"))
    next_button = widgets.Button(description=tr("next ▶"), layout=widgets.Layout(width="80px"))
    prev_button.add_class("stepper-prev")
    next_button.add_class("stepper-next")
    picture = widgets.Image(format="png")
    picture.add_class("stepper-plot")
    shown = {"step": None}
    pictures = {}            # step -> PNG: the steps are few and their pictures never change

    def png(k):
        if k not in pictures:
            pictures[k] = stepper_png(net, X, Y, k, trace=trace)
        return pictures[k]

    def draw(change=None):
        with DRAW_LOCK:
            k = slider.value
            if shown["step"] != k:
                picture.value = png(k)      # sent to the browser now
                shown["step"] = k
            # While the class looks at this step, draw its neighbours: the next click or
            # arrow key then only sends a picture.  (A newer move waits for one render.)
            for j in (k + 1, k - 1):
                if 0 <= j <= last and j not in pictures and slider.value == k:
                    png(j)

    def move(by):
        with DRAW_LOCK:
            slider.value = min(max(slider.value + by, 0), last)   # observers run: draw()

    prev_button.on_click(lambda _: move(-1))
    next_button.on_click(lambda _: move(+1))
    slider.observe(draw, names="value")
    draw()
    return widgets.VBox([widgets.HBox([play, prev_button, next_button, slider]), picture])
