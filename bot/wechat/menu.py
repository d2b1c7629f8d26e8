"""The custom menu (自定义菜单) published by `linli wechat menu`.

WeChat allows at most 3 top-level buttons with at most 5 entries each, so the five items of the issue
(缴费 / 报修 / 访客 / 投诉 / 更多) are arranged as: 报修 (one tap, the most used), 物业服务 (缴费、访客、投诉, plus
最新公告 and 活动报名, whose dialogs exist) and 更多.
Each CLICK key starts the dialog whose Dialog.menu_key matches (bot/router.py maps PAY and VISITOR to the honest
"not open yet" answer, HUMAN to a hand-over, FAQ and HELP to help).
"""

from __future__ import annotations

from typing import Any

MENU_KEYS = ("PAY", "REPAIR", "VISITOR", "COMPLAINT", "ANNOUNCEMENTS", "ACTIVITIES", "MY_REPAIRS", "MY_HOUSEHOLDS",
             "FAQ", "HUMAN", "HELP")


def _click(name: str, key: str) -> dict[str, str]:
    return {"type": "click", "name": name, "key": key}


def default_menu() -> dict[str, Any]:
    """The menu as WeChat's /cgi-bin/menu/create expects it."""
    return {"button": [
        _click("报修", "REPAIR"),
        {"name": "物业服务", "sub_button": [
            _click("缴费", "PAY"), _click("访客", "VISITOR"), _click("投诉", "COMPLAINT"),
            _click("最新公告", "ANNOUNCEMENTS"), _click("活动报名", "ACTIVITIES")]},
        {"name": "更多", "sub_button": [_click("我的报修", "MY_REPAIRS"), _click("我的房屋", "MY_HOUSEHOLDS"),
                                      _click("常见问题", "FAQ"), _click("转人工", "HUMAN"), _click("帮助", "HELP")]},
    ]}


def menu_problems(menu: dict[str, Any]) -> list[str]:
    """WeChat's limits: ≤3 buttons, ≤5 sub-buttons, names ≤16/60 bytes, keys ≤128 bytes."""
    problems = []
    buttons = menu.get("button", [])
    if not 1 <= len(buttons) <= 3:
        problems.append(f"{len(buttons)} top-level buttons (1-3 allowed)")
    for button in buttons:
        if len(button["name"].encode()) > 16:
            problems.append(f"top-level name too long: {button['name']}")
        subs = button.get("sub_button", [])
        if len(subs) > 5:
            problems.append(f"{button['name']}: {len(subs)} entries (at most 5)")
        for sub in subs:
            if len(sub["name"].encode()) > 60 or len(sub.get("key", "").encode()) > 128:
                problems.append(f"entry too long: {sub['name']}")
    return problems
