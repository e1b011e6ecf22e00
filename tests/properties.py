"""Hypothesis for the property-based tests, or, in the light install (`pip install -e . pytest`,
without the `test` extra), stand-ins under which those tests skip, saying why, while the rest of
their modules run."""

from __future__ import annotations

import pytest

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:
    MISSING = "hypothesis is not installed (pip install -e '.[test]')"

    class _AnyStrategy:
        """Takes any strategy's calls and attributes at import time, and builds nothing."""

        def __getattr__(self, name: str) -> _AnyStrategy:
            return self

        def __call__(self, *args, **kwargs) -> _AnyStrategy:
            return self

        def __or__(self, other: object) -> _AnyStrategy:
            return self

    st = HealthCheck = _AnyStrategy()

    def given(*args, **kwargs):
        return pytest.mark.skip(reason=MISSING)

    def settings(*args, **kwargs):
        return lambda test: test

__all__ = ["HealthCheck", "given", "settings", "st"]
