"""Shared test setup.

Notebooks are run by nbval (``pytest --nbval``, configured in pyproject.toml);
the sanitizer file is resolved from the project root so pytest works from any folder.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

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


@pytest.fixture(autouse=True)
def _library_open_unless_tripwire(request, monkeypatch):
    """Tests of mistakes and references feed the checker answers written with the library
    (a planted mistake is the library's answer, changed); for them the tripwire that refuses
    a learner's library call is off.  Tests marked ``tripwire`` keep it, as notebooks do."""
    if request.node.get_closest_marker("tripwire") is None:
        import contextlib

        import bp_lib._tripwire
        monkeypatch.setattr(bp_lib._tripwire, "tripwire",
                            lambda allowed=(): contextlib.nullcontext([]))
