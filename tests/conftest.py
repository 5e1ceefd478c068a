"""Hypothesis profiles, chosen with ``HYPOTHESIS_PROFILE`` (default ``ci``).

- ``ci``: enough examples per property to find shape and indexing bugs while the suite
  stays under a minute on two cores; no deadline, since the first call into torch and the
  naive loops are slow and timings vary between machines.
- ``dev``: a handful of examples, for a quick run while editing.
"""

import os

from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
