"""Interactive views for the chapters (ipywidgets).

Each widget's work is done by a plain function that returns what it draws,
so tests can call it for any slider value without a browser.
"""

from .stepper import delta_stepper, stepper_figure, stepper_grid  # noqa: F401
from .explorers import (batch_mode_explorer, batch_mode_view, eta_explorer, eta_view,  # noqa: F401
                        lambda_explorer, lambda_view)
