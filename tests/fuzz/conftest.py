"""Hypothesis profiles for the fuzz suite: ``quick`` by default (the whole suite in CI within a
couple of minutes), ``long`` with ``LEVELUP_FUZZ=long`` (hundreds of examples per property):

    LEVELUP_FUZZ=long pytest tests/fuzz
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# the example database and caches live outside the checkout (tests never write into it)
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "levelup-hypothesis"))

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture], "derandomize": False}
settings.register_profile("quick", max_examples=25, **_COMMON)
settings.register_profile("long", max_examples=600, **_COMMON)
settings.load_profile(os.environ.get("LEVELUP_FUZZ", "quick"))
