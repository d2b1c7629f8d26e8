"""Done-when for paying in chat: an owner asks 缴费 in `linli chat`, opens the link on a phone-sized screen, pays on
the sandbox page (labelled 沙箱) through the signed-notification path, and the next chat shows the receipt."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import linli_chat, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]  # three `linli chat` runs

BIND = "绑定房屋\n1\n1\n1单元101\n张伟\n1234\n"


def test_an_owner_pays_all_bills_on_the_sandbox_page(server, browser):
    settings, openid = server.settings, "chat-browser-pay-owner"
    asked = linli_chat(settings, BIND + "缴费\n0\n", openid=openid)
    assert "待缴账单" in asked and "滞纳金" in asked, asked
    found = re.search(r"/pay/(\S+)", asked)
    assert found, asked
    total = re.search(r"共 ([0-9.]+) 元", asked).group(1)

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{server.base_url}/pay/{found.group(1)}")
    assert "沙箱" in page.inner_text("#sandbox-label")
    assert page.inner_text("#total") == total
    screenshot(page, "pay")
    page.click("#pay")
    page.wait_for_selector("#message.ok", timeout=30_000)
    assert "支付成功" in page.inner_text("#message")
    receipt = re.search(r"收据 (\S+-SJ-\d{8}-\d{4})", page.inner_text("#message")).group(1)
    page.reload()
    assert "已经缴清" in page.content()

    after = linli_chat(settings, "缴费\n", openid=openid)
    assert "[客服] 缴费成功" in after and receipt in after and f"合计 {total} 元" in after
    assert "没有待缴账单" in after
