"""Shared test configuration.

Fixtures that start real servers live in ``tests/fixtures/`` (one module per part of the stack)
and are registered here; every server binds to 127.0.0.1 on a free port and is stopped by its
fixture.

Every test that needs one of those servers (directly or through another fixture) is marked
``stack`` here, so the tests of the pure parts run alone in seconds: ``pytest -m "not stack"``.

No test may fall back to a Prefect "ephemeral" server of its own (one that starts on port 8142
when no API URL is set): a flow or task delivery that forgot the stack's API URL would then talk
to a server nobody watches and the test would prove nothing. Ephemeral mode is switched off for
the whole session (before Prefect is imported), so such a test fails loudly.
"""

import os

os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"

import pytest  # noqa: E402

pytest_plugins = [
    "tests.fixtures.pki",
    "tests.fixtures.stack",
    "tests.fixtures.service",
    "tests.fixtures.postgres",
    "tests.fixtures.softhsm",
]

SERVER_FIXTURES = frozenset({"stack_settings", "stack_info", "pki_service", "postgres_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.stack)
