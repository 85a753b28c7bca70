"""Plotting helpers, one module per group of chapters; everything is re-exported here."""

from .core import draw_network, plot_decision_boundary, plot_history  # noqa: F401
