"""Interactive views for the chapters (ipywidgets).

Each widget's work is done by a plain function that returns what it draws,
so tests can call it for any slider value without a browser.
"""

from .stepper import delta_stepper, stepper_figure  # noqa: F401
