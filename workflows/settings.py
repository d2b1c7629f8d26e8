"""The one Settings object, read from LINLI_* environment variables and `.env` once at start-up."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one Linli deployment; every field has an embedded default that `make run` uses."""

    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=".env", extra="ignore")

    # Storage
    database_url: str = "sqlite+aiosqlite:///var/linli.db"
    redis_url: str = ""  # empty: the in-process state store
    redis_prefix: str = "linli:"
    chroma_path: str = "var/chroma"
    chroma_url: str = ""  # set: a Chroma server through its HTTP client
    media_dir: str = "var/media"
    mqtt_url: str = ""  # devices arrive with their own issue; empty means off

    # WeChat official account (公众号)
    wechat_token: str = "linli-dev-token"
    wechat_appid: str = "wx0000000000linli"
    wechat_app_secret: str = ""
    wechat_aes_key: str = ""  # EncodingAESKey, 43 characters; set it to accept safe (AES) mode
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_budget_s: float = 3.5
    wechat_max_body_bytes: int = 64 * 1024
    # Template message ids by Linli's template name, as JSON: {"service_reply": "tmpl-id", "repair_done": "…"};
    # a wechat.template outbox row whose template has no id here is sent as a customer-service text instead.
    wechat_template_ids: dict[str, str] = Field(default_factory=dict)

    # LLM and embeddings (empty: retrieval-only answers, no LLM)
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_model: str = ""
    llm_timeout_s: float = 2.5
    embeddings_base_url: str = ""
    embeddings_api_key: str = ""
    embeddings_model: str = ""
    # The FAQ assistant's confidence (knowledge.ranking, 0..1): at or above faq_answer_at it answers directly, at or
    # above faq_choices_at it offers numbered choices, below it says it does not know. Chosen leave-one-community-out
    # on the blind communities (docs/knowledge.md).
    faq_answer_at: float = 0.72
    faq_choices_at: float = 0.72

    # Behaviour
    timezone: str = "Asia/Shanghai"
    dialog_idle_minutes: int = 10
    escalation_overdue_minutes: int = 15
    repair_reopen_days: int = 7  # an owner may reopen a completed repair within this many days
    working_hours: str = "08:00-20:00"  # local time in which escalation minutes count toward overdue
    secret_key: str = "linli-dev-secret-change-me"
    secure_cookies: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    run_workers_in_process: bool = True
    payments_provider: str = "sandbox"

    debug_sql: bool = Field(default=False)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def ensure_local_dirs(self) -> None:
        """Create the folders the embedded defaults write into."""
        for folder in (self.media_dir, self.chroma_path):
            Path(folder).mkdir(parents=True, exist_ok=True)
        if self.is_sqlite and ":///" in self.database_url:
            path = self.database_url.split(":///", 1)[1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
