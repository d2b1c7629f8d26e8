"""What an owner sent and what the bot answers, free of XML and WeChat types (the edge translates)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    label: str = ""  # WeChat's address text, e.g. 上海市浦东新区…


@dataclass(frozen=True)
class Inbound:
    """One owner message or event, from WeChat or from `linli chat`."""

    openid: str
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event
    content: str = ""  # text; the voice recognition; a link's title
    msg_id: str | None = None
    event: str | None = None  # subscribe, unsubscribe, SCAN, CLICK, VIEW, LOCATION
    event_key: str | None = None  # menu key for CLICK, URL for VIEW, scene for SCAN
    media_id: str | None = None  # image, voice, video: WeChat's media id
    pic_url: str | None = None  # image: WeChat's picture URL
    local_path: str | None = None  # `linli chat`: a file the owner "sent"
    url: str | None = None  # link
    location: Location | None = None
    created_at: int = 0  # WeChat's CreateTime (seconds)
    channel: str = "wechat"  # wechat | chat

    @property
    def dedup_key(self) -> str:
        """WeChat retries with the same MsgId; events have none, so FromUserName + CreateTime + Event."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.openid}:{self.created_at}:{self.event or self.msg_type}"


@dataclass
class Reply:
    """What the owner is told: short, kind Chinese text (images and articles can be added when needed)."""

    text: str
    extra: list[str] = field(default_factory=list)  # further messages sent after the first (customer-service)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()
