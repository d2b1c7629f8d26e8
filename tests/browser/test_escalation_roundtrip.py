"""Done-when: an owner asks for a person in `linli chat`, staff log in with a real browser, see it appear without
reloading, answer it, and the answer arrives back in the owner's chat."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import linli_chat, screenshot
from workflows.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def login(page, base_url: str, username: str) -> None:  # noqa: ANN001
    page.goto(base_url + "/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button:has-text('登录')")


def test_staff_answer_an_escalation_from_linli_chat_and_the_owner_reads_it(server, browser):
    settings = server.settings
    bind = "绑定房屋\n1\n1\n1单元101\n张伟\n1234\n"
    question = "我要出差三天，物业能帮忙照看一下我家的猫吗？\n"
    first = linli_chat(settings, bind + question + "转人工\n", openid="chat-browser-owner")
    number = re.search(r"RG-\d{8}-\d{4}", first)
    assert number, first

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    login(page, server.base_url, "kefu")
    page.goto(server.base_url + "/admin/escalations")
    row = page.wait_for_selector(f"tr[data-number='{number.group(0)}']")
    assert "1栋1单元101" in row.inner_text()
    page.wait_for_selector(".badge:has-text('1')")

    # A second owner asks while the page is open: the row and the badge appear without reloading.
    second = re.search(r"RG-\d{8}-\d{4}", linli_chat(settings, "转人工\n", openid="chat-browser-neighbour"))
    assert second
    page.wait_for_selector(f"tr[data-number='{second.group(0)}']", timeout=12_000)
    page.wait_for_selector(".badge:has-text('2')", timeout=12_000)
    screenshot(page, "inbox")

    page.click(f"tr[data-number='{number.group(0)}'] a")
    page.wait_for_selector("#transcript")
    assert "照看一下我家的猫" in page.inner_text("#transcript") and "张伟" in page.inner_text("main")
    page.fill("textarea[name=body]", "您好，我是客服小林。照看宠物不在物业服务范围内，"
                                     "可以联系小区门口的宠物店，电话已发给您。")
    page.click("button:has-text('发送回复')")
    page.wait_for_selector(".flash:has-text('回复已发出')")
    assert "待发送" in page.inner_text("#replies")
    screenshot(page, "escalation")

    delivered = linli_chat(settings, "\n", openid="chat-browser-owner")
    assert "[客服] 您好，我是客服小林。照看宠物不在物业服务范围内" in delivered
    page.reload()
    assert "已送达微信" in page.inner_text("#replies")

    login(page, server.base_url, "manager")
    page.goto(server.base_url + "/admin/dashboard")
    page.wait_for_selector("#charts svg")
    screenshot(page, "dashboard")
    page.close()


def test_a_phone_sized_screen_gets_the_menu_and_a_forged_form_is_refused(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    login(page, server.base_url, "wang.shifu")
    page.goto(server.base_url + "/admin/me")
    assert not page.is_visible(".top nav")
    page.click("label.navbutton")
    assert page.is_visible(".top nav")
    page.evaluate("document.querySelector('form[action=\"/admin/me/invite\"] input[name=csrf_token]').value = 'x'")
    with page.expect_response(lambda r: r.url.endswith("/admin/me/invite")) as response:
        page.click("button:has-text('生成绑定码')")
    assert response.value.status == 403
    page.close()
