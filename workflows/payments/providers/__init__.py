"""Payment providers behind one interface (interface.py); `build_provider` picks one from the settings and each
provider reads its own settings (`from_settings`)."""

from __future__ import annotations

from typing import Any

from workflows.payments.providers.interface import PaymentProvider


def build_provider(settings: Any) -> PaymentProvider:
    """WeChat Pay when LINLI_PAYMENTS_PROVIDER=wechatpay (and its settings are given), else the sandbox."""
    if settings.payments_provider == "wechatpay":
        from workflows.payments.providers.wechatpay import WechatPayProvider as chosen
    else:
        from workflows.payments.providers.sandbox import SandboxProvider as chosen
    return chosen.from_settings(settings)
