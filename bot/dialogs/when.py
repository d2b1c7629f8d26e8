"""Reading a preferred visit time as owners say it: 今天下午, 明天上午, 后天晚上, 周六上午, 11月28日, 明天14点到16点,
明天3点, 随时. Returns a window in UTC, or raises ValueError; "past" when the window has already ended."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from workflows.clock import SHANGHAI, utcnow
from workflows.text import comparable

ANY_WORDS = ("随时", "都可以", "都行", "任何时间", "随便", "尽快", "越快越好")
PERIODS = {"上午": (9, 12), "早上": (8, 10), "中午": (11, 14), "下午": (14, 18), "傍晚": (17, 19), "晚上": (18, 21),
           "白天": (9, 18)}
WEEKDAYS = "一二三四五六日天"
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
       "十一": 11, "十二": 12}


# "明天上午", "下午三点以后都在家": a message that names a time and nothing else.
_TIME_WORDS = re.compile(r"今天|明天|后天|大后天|今晚|明晚|(下|这|本)?(周|星期|礼拜)[一二三四五六日天]"
                         r"|上午|下午|晚上|中午|早上|傍晚"
                         r"|白天|[0-9]{1,2}(点|:|：)([0-9]{1,2}分?|半)?|[一二两三四五六七八九十]{1,3}点半?|以后|之后|以前|之前"
                         r"|到|都|在家|有人|有空|可以|行|随时|我|的|吧|啊|了|[\s，,。.!！~～]")


def only_a_time(text: str) -> bool:
    """The whole message is a time ("明天上午"), not what is wrong ("晚上灯不亮")."""
    word = comparable(text or "")
    return bool(word.strip()) and any(p in word for p in (*PERIODS, "天", "点", "周", "星期", "礼拜")) \
        and not _TIME_WORDS.sub("", word)


class PastWindow(ValueError):
    """The window the owner named has already ended."""


@dataclass(frozen=True)
class Window:
    start: datetime | None  # None: any time
    end: datetime | None

    def to_json(self, text: str) -> dict:
        return {"from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None, "text": text}


def _hour(raw: str) -> int:
    raw = raw.strip()
    return int(raw) if raw.isdigit() else _CN[raw]


_SHORT_DAYS = (("今晚", "今天晚上"), ("明晚", "明天晚上"), ("明早", "明天早上"), ("今早", "今天早上"))
_FILLER = re.compile(r"[那就吧都行可以她他说的来上门师傅呀啊哦嗯我家里人在时候那天整天一全]")


def _day(folded: str, now_local: datetime) -> tuple[datetime | None, str]:
    """The day named anywhere in the text ("她说后天上午", "那就周六上午"; None when none is) and the text
    without it."""
    for short, long in _SHORT_DAYS:
        folded = folded.replace(short, long)
    for word, offset in (("大后天", 3), ("今天", 0), ("明天", 1), ("后天", 2)):
        if word in folded:
            return now_local + timedelta(days=offset), folded.replace(word, "", 1)
    match = re.search(r"(下)?(?:周|星期|礼拜)([一二三四五六日天末])", folded)
    if match:
        day = match.group(2)
        target = 5 if day == "末" else (6 if day in "日天" else WEEKDAYS.index(day))
        ahead = (target - now_local.weekday()) % 7 or 7
        if match.group(1):
            ahead += 7 if ahead < 7 else 0
        return now_local + timedelta(days=ahead), folded[:match.start()] + folded[match.end():]
    match = re.search(r"(\d{1,2})(?:月|/)(\d{1,2})[日号]?", folded)  # not "3-5点": that is a time
    if match:
        month, day_of_month = int(match.group(1)), int(match.group(2))
        candidate = now_local.replace(month=month, day=day_of_month)
        if candidate.date() < now_local.date() - timedelta(days=31):
            candidate = candidate.replace(year=candidate.year + 1)
        return candidate, folded[:match.start()] + folded[match.end():]
    return None, folded


def parse_window(text: str, *, now: datetime | None = None, tz: ZoneInfo = SHANGHAI) -> Window:
    """A visit window from the owner's words; ValueError when unreadable, PastWindow when already over."""
    folded = "".join(comparable(text or "").split()).rstrip("。.!！")
    if not folded:
        raise ValueError("empty")
    anytime = any(word in folded for word in ANY_WORDS)  # "随时"; but "下午都行" is the afternoon, any day "明天都行"
    if folded.startswith(("昨天", "前天", "上周", "上个月")):
        raise PastWindow("over")
    now_local = (now or utcnow()).astimezone(tz)
    try:
        named, rest = _day(folded, now_local)
    except ValueError as exc:  # 2月30日
        raise ValueError("no such day") from exc
    start_h, end_h = None, None
    period = next((p for p in PERIODS if p in rest), None)
    numbers = re.findall(r"(\d{1,2}|十[一二]?|[一二两三四五六七八九十])[点:：时]", rest)
    if anytime and named is None and period is None and not numbers:
        return Window(None, None)
    if numbers:
        start_h = _hour(numbers[0])
        end_h = _hour(numbers[1]) if len(numbers) > 1 else start_h + 2
        if (period in ("下午", "傍晚", "晚上") or (period is None and start_h < 8)) and start_h < 12:
            start_h, end_h = start_h + 12, (end_h + 12 if end_h <= 12 else end_h)
    elif period:
        start_h, end_h = PERIODS[period]
    elif named is not None and len(_FILLER.sub("", rest)) <= 1:
        start_h, end_h = 8, 20  # a whole day: "明天", "那就周六吧"
    if start_h is None or not (0 <= start_h < end_h <= 24):
        raise ValueError("no time")
    base = (named or now_local).replace(minute=0, second=0, microsecond=0)
    start = base.replace(hour=start_h)
    end = base.replace(hour=end_h - 1, minute=59) if end_h == 24 else base.replace(hour=end_h)
    if end <= now_local and named is None:  # "下午两点以后" said in the evening: tomorrow afternoon
        start, end = start + timedelta(days=1), end + timedelta(days=1)
    if end <= now_local:
        raise PastWindow("over")
    return Window(start.astimezone(tz), end.astimezone(tz))


def show_window(value: dict | None) -> str:
    if not value:
        return "未指定"
    if not value.get("from"):
        return "随时都可以"
    start, end = datetime.fromisoformat(value["from"]), datetime.fromisoformat(value["to"])
    return f"{start:%m月%d日 %H:%M}–{end:%H:%M}"


def window_bounds(value: dict | None) -> tuple[datetime | None, datetime | None]:
    if not value or not value.get("from"):
        return None, None
    return datetime.fromisoformat(value["from"]), datetime.fromisoformat(value["to"])

