"""Plotting helpers, one module per group of chapters; everything is re-exported here."""

from .core import (draw_network, draw_unit, plot_batch_product, plot_decision_boundary,  # noqa: F401
                   plot_history)
from .deltas import (count_work_backward, count_work_path_by_path, delta_sizes,  # noqa: F401
                     gradient_cost, plot_backward_steps, plot_delta_flow, plot_delta_recursion,
                     plot_delta_sizes, plot_gradient_costs, plot_trace_heatmaps, plot_work_counts)
from .output import plot_output_gradient, plot_softmax_jacobian  # noqa: F401
from .basics import (cost_on_grid, plot_activation, plot_activations, plot_cost_contours,  # noqa: F401
                     plot_cost_surface, plot_loss_slopes_vs_logit, plot_losses_vs_logit,
                     plot_softmax, plot_softmax_overflow)
from .descent import plot_cost_progress, plot_descent_path, plot_labelled_points  # noqa: F401
from .training import (confusion_matrix, plot_batch_modes, plot_boundary_grid,  # noqa: F401
                       plot_confusion_matrix, plot_cost_curves, plot_cost_vs_time, plot_hidden_units,
                       plot_lambda_curve, plot_top_inputs,
                       plot_train_val, plot_validation_points, plot_weight_sizes)
