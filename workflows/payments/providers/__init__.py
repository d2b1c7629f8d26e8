"""Payment providers behind one interface (interface.py); `build_provider` picks one from the settings."""

from __future__ import annotations

from typing import Any

from workflows.payments.providers.interface import PaymentProvider


def build_provider(settings: Any) -> PaymentProvider:
    """WeChat Pay when LINLI_PAYMENTS_PROVIDER=wechatpay (and its settings are given), else the sandbox."""
    if settings.payments_provider == "wechatpay":
        from workflows.payments.providers.wechatpay import WechatPayProvider

        return WechatPayProvider.from_settings(settings)
    from workflows.payments.providers.sandbox import SandboxProvider

    return SandboxProvider(secret=settings.secret_key, appid=settings.wechat_appid)
