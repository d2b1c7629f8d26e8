"""The one Settings object, read from LINLI_* environment variables and `.env` once at start-up."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_VALUES = frozenset({"linli-dev-secret-change-me", "linli-dev-token", "wx0000000000linli", "changethis"})


class Settings(BaseSettings):
    """Configuration of one Linli deployment; every field has an embedded default that `make run` uses."""

    model_config = SettingsConfigDict(env_prefix="LINLI_", env_file=".env", extra="ignore")

    # "production" refuses the development defaults below (secret key, sample WeChat token and appid)
    env: Literal["development", "production"] = "development"

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
    # A signed request whose timestamp is further than this from now is refused (replays of old captures)
    wechat_max_timestamp_age_s: int = 300
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
    # Peers whose X-Forwarded-For is believed (comma-separated IPs or networks, e.g. 127.0.0.1,10.0.0.0/8);
    # empty: the TCP peer is the client, whatever the header says
    trusted_proxies: str = ""
    # Set: /metrics needs "Authorization: Bearer <token>"; empty: /metrics answers only direct local requests
    metrics_token: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    run_workers_in_process: bool = True
    payments_provider: str = "sandbox"  # "wechatpay" with the wechatpay_* settings below; else the 沙箱
    public_base_url: str = ""  # where owners' phones reach Linli (payment links); empty: http://host:port
    # WeChat Pay API v3 (微信支付, direct merchant, JSAPI). The app is wechat_appid.
    wechatpay_mchid: str = ""
    wechatpay_cert_serial_no: str = ""  # the merchant API certificate's serial number
    wechatpay_private_key_path: str = ""  # apiclient_key.pem
    wechatpay_apiv3_key: str = ""  # 32 characters
    # Verifying WeChat Pay's signatures: its public key (PUB_KEY_ID_…) and/or platform certificates; configure both
    # while WeChat moves a merchant from certificates to the public key.
    wechatpay_public_key_path: str = ""
    wechatpay_public_key_id: str = ""
    wechatpay_cert_dir: str = ""  # a folder of platform certificates (PEM), named by anything
    wechatpay_api_base: str = "https://api.mch.weixin.qq.com"

    # Backups (数据备份与灾备, docs/operations.md): where, the key, when, how many to keep
    backup_destination: str = ""  # a folder (/var/backups/linli, file:///mnt/nas/linli) or s3://bucket/prefix
    backup_key: str = ""  # 32 bytes, urlsafe base64 (`linli backup keygen`); keep a copy away from the server
    backup_time: str = "03:00"  # local time of the daily backup, run by a worker
    backup_max_age_hours: int = 26  # the dashboard and the admins are warned when the last good backup is older
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    backup_keep_monthly: int = 6
    backup_s3_endpoint: str = ""  # S3-compatible stores: https://oss-cn-shanghai.aliyuncs.com, a MinIO URL, …
    backup_s3_region: str = ""
    backup_s3_access_key: str = ""  # empty: boto3's usual chain (AWS_ACCESS_KEY_ID, instance roles)
    backup_s3_secret_key: str = ""

    debug_sql: bool = Field(default=False)

    @model_validator(mode="after")
    def _refuse_dev_values_in_production(self) -> Settings:
        """Like fastapi's full-stack template: the development defaults must not reach production."""
        if self.env != "production":
            return self
        problems = [name for name, value in (("LINLI_SECRET_KEY", self.secret_key),
                                             ("LINLI_WECHAT_TOKEN", self.wechat_token),
                                             ("LINLI_WECHAT_APPID", self.wechat_appid))
                    if value in DEV_VALUES]
        if len(self.secret_key) < 32:
            problems.append("LINLI_SECRET_KEY (at least 32 characters)")
        if problems:
            raise ValueError("LINLI_ENV=production needs real values for: " + ", ".join(sorted(set(problems))))
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

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
