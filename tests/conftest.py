"""Shared test setup.

Notebooks are run by nbval (``pytest --nbval``, configured in pyproject.toml);
the sanitizer file is resolved from the project root so pytest works from any folder.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

# Only this process: setting MPLBACKEND in the environment instead would leak into the
# notebook kernels nbval starts and turn their inline figures off.
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    opt = config.option
    for name in ("nbval_sanitize_with", "sanitize_with"):
        value = getattr(opt, name, None)
        if value and not Path(value).is_absolute() and not Path(value).exists():
            setattr(opt, name, str(ROOT / value))
