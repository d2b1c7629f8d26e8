"""Text handling for Chinese owner questions: normalising, truncating, synonyms and jieba tokens for BM25."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from workflows.text import comparable

DATA = Path(__file__).parent / "data"
MAX_QUESTION_CHARS = 500

# Words owners use -> the word the FAQ uses. Applied to queries (vector side) and tokens (BM25 side).
SYNONYMS: dict[str, str] = {
    "物业管理费": "物业费",
    "管理费": "物业费",
    "物管费": "物业费",
    "月租车": "停车月卡",
    "包月停车": "停车月卡",
    "停车包月": "停车月卡",
    "车位月卡": "停车月卡",
    "月卡": "停车月卡",
    "临时停车": "临停",
    "门卡": "门禁卡",
    "小区卡": "门禁卡",
    "丰巢": "快递柜",
    "快递箱": "快递柜",
    "煤气": "燃气",
    "天然气": "燃气",
    "电瓶车": "电动车",
    "电驴": "电动车",
    "小电驴": "电动车",
    "装修保证金": "装修押金",
    "公共维修基金": "维修基金",
    "专项维修资金": "维修基金",
    "维修资金": "维修基金",
    "地下车库": "地库",
    "狗狗": "狗",
    "客服中心": "物业服务中心",
    "物业办公室": "物业服务中心",
    "物业中心": "物业服务中心",
    "鞭炮": "烟花爆竹",
    "放炮": "烟花爆竹",
    "限速": "车速",
    "物业公司": "物业服务中心",
    "业主委员会": "业委会",
    "管理公约": "管理规约",
    "小区规约": "管理规约",
    "垃圾房": "垃圾桶",
    "wifi": "网络",
    "宽带": "网络",
    # Days as owners say them (礼拜天, 星期六) -> as the rules write them (周日, 周六).
    **{f"{word}{day}": f"周{day}" for word in ("礼拜", "星期") for day in "一二三四五六日"},
    "礼拜天": "周日",
    "星期天": "周日",
    "上礼拜": "上周",
    "下礼拜": "下周",
    "这礼拜": "这周",
}

STOPWORDS = set(
    "的 了 吗 呢 吧 啊 呀 么 嘛 哦 哈 是 我 我们 你 你们 请问 想 要 一下 一个 怎么 怎样 如何 什么 哪 哪里 哪儿 在 有 "
    "没有 能 能不能 可以 可不可以 吗 会 得 和 与 及 或 还 就 都 也 这 那 这个 那个 个 下 去 来 给 把 被 对 啊 "
    "请 谢谢 您好 你好 物业 小区".split()
)
# Two question forms that hold no question word: a verb, 不/没, the verb again ("停不停水", "管不管修", "发不发";
# not "动不动就坏"), and a clause that ends in 不 ("中午休息不 我想下午过去", "停车收费不 我儿子周末回来"; read on the
# text as typed, spaces kept).
A_NOT_A = r"(?P<verb>[\u4e00-\u9fff])(?<!动)[不没](?P=verb)"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")  # a mainland mobile number inside a sentence ("他电话139…")
CLAUSE_ASKS = re.compile(r"(?<=[\u4e00-\u9fff])(?<![也都还并就])不(?=[\s，,。!！])")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, collapsed spaces."""
    text = comparable(text or "").lower()
    return re.sub(r"\s+", " ", text).strip()


def truncate(text: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """At most `limit` characters of the question are used for retrieval."""
    return text[:limit]


def apply_synonyms(text: str) -> str:
    """Rewrite owners' words into the FAQ's words, longest variant first."""
    for variant in _VARIANTS_LONGEST_FIRST:
        if variant in text:
            text = text.replace(variant, SYNONYMS[variant])
    return text


_VARIANTS_LONGEST_FIRST = sorted(SYNONYMS, key=len, reverse=True)


def folded(text: str) -> str:
    """Normalised, owners' words folded into the FAQ's (what coverage is checked against)."""
    return apply_synonyms(normalize(text))


# Characters that carry no matter of their own (particles, pronouns, question words, common verbs).
_LIGHT_CHARACTERS = set("的了吗呢吧啊呀么嘛哦哈是我你他她它们在有能会要想请问怎什哪个一下去来给把这那就都也还和咋啥")


def meaningful_characters(question: str) -> list[str]:
    """The question's Chinese characters that name something (for coverage: is the matter in the entry at all?)."""
    return [c for c in re.findall(r"[\u4e00-\u9fff]", folded(question)) if c not in _LIGHT_CHARACTERS]


def query_form(question: str) -> str:
    """The text that is embedded for a question: truncated, normalised, owners' words folded into the FAQ's."""
    return folded(truncate(question))


def read_sections(path: Path) -> dict[str, list[str]]:
    """A data file of `[section]` headers, each followed by one sentence per line; # starts a comment line."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is not None:
            current.append(line)
    return sections
@lru_cache(maxsize=1)
def domain_tokenizer():
    """A jieba tokenizer of our own (never the global one) with the property-domain user dictionary."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(DATA / "userdict.txt"))
    for word in SYNONYMS:
        tokenizer.add_word(word, freq=40)
    return tokenizer


@lru_cache(maxsize=1)
def plain_tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def domain_tokens(text: str, *, bigrams: bool = True) -> list[str]:
    """BM25 tokens: jieba search mode with the domain dictionary, synonyms folded, stopwords dropped,
    plus character bigrams of the Chinese runs so typos and unseen words still overlap (`bigrams`)."""
    text = folded(text)
    tokens = [t for t in domain_tokenizer().lcut_for_search(text) if t.strip() and not _PUNCT.fullmatch(t)]
    tokens = [SYNONYMS.get(t, t) for t in tokens if t not in STOPWORDS]
    if not bigrams:
        return tokens
    for run in re.findall(r"[\u4e00-\u9fff]{2,}", text):
        tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
    return tokens


def plain_tokens(text: str) -> list[str]:
    """The baseline: plain jieba, nothing else."""
    return [t for t in plain_tokenizer().lcut(normalize(text)) if t.strip() and not _PUNCT.fullmatch(t)]
