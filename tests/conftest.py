"""Shared test configuration.

Fixtures that start real servers live in ``tests/fixtures/`` (one module per part of the stack)
and are registered here; every server binds to 127.0.0.1 on a free port and is stopped by its
fixture.
"""

pytest_plugins = [
    "tests.fixtures.pki",
    "tests.fixtures.stack",
    "tests.fixtures.postgres",
    "tests.fixtures.softhsm",
]
