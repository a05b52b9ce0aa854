"""A bounded load test on loopback: 50 concurrent conversations for 60 seconds.

It asserts behaviour only (no errors, every reply to the right conversation with the right
content); speed is measured by `make bench`, not here.
"""

from __future__ import annotations

import pytest

from bench.loadgen import run_load

pytestmark = pytest.mark.slow


async def test_fifty_concurrent_conversations_for_a_minute(assistant) -> None:
    result = await run_load(assistant.url, conversations=50, duration_s=60, max_messages=20_000)
    assert result.sent > 50 and result.patients >= 50
    assert result.errors == 0, result.problems
    assert result.misrouted == 0, result.problems
