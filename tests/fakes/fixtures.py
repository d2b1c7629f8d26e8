"""Pytest fixtures for the local fakes; import them into a conftest.py:

    from tests.fakes.fixtures import fake_wechat_api  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.wechat_api import FakeWeChatApi


@pytest.fixture
def fake_wechat_api() -> Iterator[FakeWeChatApi]:
    """WeChat's API server on 127.0.0.1 (random port); point settings.wechat_api_base at .base_url."""
    with FakeWeChatApi() as fake:
        yield fake
