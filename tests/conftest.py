"""Test-wide settings.

Hypothesis explores new random inputs on every developer run (that is how it found the damaged
ZIP that crashed the loader), but CI must not go red by the luck of a draw: with ``CI`` set, the
examples are derived from the test itself and every run checks the same ones.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
