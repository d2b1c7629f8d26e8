"""Done-when for repairs: an owner reports a leak in `linli chat`, the technician accepts, starts and finishes it in
a real browser on a phone-sized screen, the owner hears every step in the chat without asking, and rates it."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import linli_chat, screenshot
from workflows.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

BIND = "绑定房屋\n1\n1\n1单元101\n张伟\n1234\n"
REPORT = "报修\n1\n1\n厨房水龙头一直滴水\n跳过\n随时\n1\n"  # the bound owner's phone is known: not asked


def test_a_technician_accepts_and_finishes_an_order_reported_in_chat(server, browser):
    settings, openid = server.settings, "chat-browser-repair-owner"
    reported = linli_chat(settings, BIND + REPORT, openid=openid)
    found = re.search(r"已提交报修，单号 (BX-\d{8}-\d{4})", reported)
    assert found, reported
    number = found.group(1)

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(server.base_url + "/admin/login")
    page.fill("input[name=username]", "wang.shifu")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button:has-text('登录')")
    page.goto(server.base_url + "/admin/repairs?mine=1")
    page.click(f"tr[data-number='{number}'] a")
    page.wait_for_selector("#actions")
    page.click("#actions button:has-text('接单')")
    page.wait_for_selector(".flash:has-text('已接单')")
    assert page.inner_text("#status") == "已接单"
    page.click("#actions button:has-text('出发上门')")
    page.wait_for_selector(".flash:has-text('已出发上门')")
    page.fill("#comment textarea[name=body]", "换了水龙头阀芯，已不滴水")
    page.click("#comment button:has-text('添加')")
    page.wait_for_selector(".flash:has-text('已添加到工单记录')")
    page.click("#actions button:has-text('完工')")
    page.wait_for_selector(".flash:has-text('已完工')")
    assert page.inner_text("#status") == "已完成"
    assert "换了水龙头阀芯" in page.inner_text("#timeline")
    screenshot(page, "repair")
    page.close()

    heard = linli_chat(settings, f"评价 {number} 5 师傅很细心\n", openid=openid)
    assert "王师傅接单" in heard and "已出发" in heard and "已修好" in heard, heard
    assert "谢谢您的评价" in heard
