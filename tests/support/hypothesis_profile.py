"""Test-wide Hypothesis settings, loaded as a pytest plugin (``-p`` in pyproject.toml).

Hypothesis: no per-example deadline (this machine is shared and noisy; speed belongs in
`make bench`), and under CI a derandomized run, so that a green main stays green and a new
failing example is found by a developer's run, not by a random CI draw. Locally the search
stays random, which is how the property tests keep finding new cases.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
