"""Test-wide settings.

Hypothesis explores new random inputs on every developer run (that is how it found the damaged
ZIP that crashed the loader), but CI must not go red by the luck of a draw: with ``CI`` set, the
examples are derived from the test itself and every run checks the same ones.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def pg_cluster():
    """A real PostgreSQL server for the whole session (`tests.servers_pg`); each test that needs
    it takes an empty database of its own with ``pg_cluster.new_database()``."""
    from tests.servers_pg import running_cluster

    with running_cluster() as cluster:
        yield cluster
