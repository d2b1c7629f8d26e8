"""Media stores (WeChat's media API, local files for `linli chat`) and `linli wechat menu` against the fake API."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.media import CompositeMediaStore, LocalFileMediaStore, WeChatMediaStore
from bot.messages import Inbound
from bot.services import MediaUnavailable
from bot.wechat.api import WeChatApi
from bot.wechat.menu import MENU_KEYS, default_menu, menu_problems
from linli.cli import app as cli
from tests.bot.wechat.conftest import api_settings
from workflows.statestore import make_state_store

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


async def test_wechat_photo_is_downloaded_into_the_media_folder(wsettings, fake_wechat_api):
    settings = api_settings(wsettings, fake_wechat_api)
    fake_wechat_api.media["PHOTO1"] = (JPEG, "image/jpeg")
    api = WeChatApi(settings, make_state_store(""))
    store = CompositeMediaStore(settings, api)
    try:
        relative = await store.store(Inbound(openid="o1", msg_type="image", media_id="PHOTO1"))
        with pytest.raises(MediaUnavailable):
            await store.store(Inbound(openid="o1", msg_type="image", media_id="GONE"))
        with pytest.raises(MediaUnavailable):
            await store.store(Inbound(openid="o1", msg_type="image"))
    finally:
        await api.close()
    path = Path(settings.media_dir) / relative
    assert path.read_bytes() == JPEG and path.suffix == ".jpg" and len(path.parent.name) == 8


async def test_media_larger_than_the_limit_is_unavailable(wsettings, fake_wechat_api):
    settings = api_settings(wsettings, fake_wechat_api)
    fake_wechat_api.media["BIG"] = (b"\xff\xd8" + b"0" * 5000, "image/jpeg")
    api = WeChatApi(settings, make_state_store(""), max_media_bytes=1000)
    try:
        with pytest.raises(MediaUnavailable):
            await WeChatMediaStore(settings, api).store(Inbound(openid="o1", msg_type="image", media_id="BIG"))
    finally:
        await api.close()
    assert not any(Path(settings.media_dir).rglob("*.jpg"))  # noqa: ASYNC240 - a test assertion


async def test_chat_photo_is_copied_and_a_missing_file_is_unavailable(wsettings, tmp_path):
    photo = tmp_path / "leak.PNG"
    photo.write_bytes(b"\x89PNG" + b"0" * 50)
    store = CompositeMediaStore(wsettings)  # no WeChat API: chat only
    relative = await store.store(Inbound(openid="chat-x", msg_type="image", local_path=str(photo), channel="chat"))
    assert (Path(wsettings.media_dir) / relative).read_bytes() == photo.read_bytes() and relative.endswith(".png")
    for bad in (tmp_path / "missing.jpg", tmp_path / "notes.txt"):
        with pytest.raises(MediaUnavailable):
            await LocalFileMediaStore(wsettings).store(Inbound(openid="chat-x", msg_type="image",
                                                               local_path=str(bad), channel="chat"))
    with pytest.raises(MediaUnavailable):
        await store.store(Inbound(openid="o1", msg_type="image", media_id="M"))  # WeChat, but no API


def test_menu_fits_wechats_limits_and_carries_every_key():
    menu = default_menu()
    assert menu_problems(menu) == []
    keys = [sub.get("key") for button in menu["button"] for sub in [button, *button.get("sub_button", [])]]
    assert sorted(k for k in keys if k) == sorted(MENU_KEYS)


def test_linli_wechat_menu_publishes_to_the_api(wsettings, fake_wechat_api, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    env = {"LINLI_WECHAT_API_BASE": fake_wechat_api.base_url, "LINLI_WECHAT_APPID": fake_wechat_api.appid,
           "LINLI_WECHAT_APP_SECRET": fake_wechat_api.secret, "LINLI_REDIS_URL": ""}
    result = CliRunner().invoke(cli, ["wechat", "menu"], env=env)
    assert result.exit_code == 0, result.output
    assert fake_wechat_api.menus == [default_menu()]
    refused = CliRunner().invoke(cli, ["wechat", "menu"], env=env | {"LINLI_WECHAT_APP_SECRET": "wrong"})
    assert refused.exit_code == 1 and "40125" in refused.output


def test_every_menu_key_starts_a_dialog_or_a_router_answer():
    from bot.registry import default_registry

    registry = default_registry()
    answered_by_router = {"PAY", "VISITOR", "HUMAN", "FAQ"}  # bot/router.py: not-yet answers, hand-over, help
    missing = [key for key in MENU_KEYS if registry.by_menu_key(key) is None and key not in answered_by_router]
    assert missing == []
