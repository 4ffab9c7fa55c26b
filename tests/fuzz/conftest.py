"""Hypothesis profiles for the fuzz suite.

``quick`` (the default, what CI runs) is derandomised: every run draws the same examples, so the
suite cannot go red at random, and a failure it finds fails every run, on any machine, the same
way. ``long`` (``LEVELUP_FUZZ=long``, hundreds of examples per property) draws new examples each
time, to find new failures. Both print a failure's ``@reproduce_failure(...)`` blob, and a
``long`` run can be repeated with ``--hypothesis-seed=N``:

    LEVELUP_FUZZ=long pytest tests/fuzz
    LEVELUP_FUZZ=long pytest tests/fuzz --hypothesis-seed=1234
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# the example database and caches live outside the checkout (tests never write into it)
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "levelup-hypothesis"))

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture], "print_blob": True}
# derandomised, with no example database: what a run draws depends on nothing but the code
settings.register_profile("quick", max_examples=25, derandomize=True, database=None, **_COMMON)
settings.register_profile("long", max_examples=600, derandomize=False, **_COMMON)
settings.load_profile(os.environ.get("LEVELUP_FUZZ", "quick"))
