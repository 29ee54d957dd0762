from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """The throttles count in the (local-memory) cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()
