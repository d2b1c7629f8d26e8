"""Small talk: thanks, "ok", goodbyes and laughter are not questions and not requests.

Without this an owner who writes "谢谢啊" twice was told twice that the bot does not know, and then handed to a
person. A message made only of such words (and fillers like 你/了/小邻) gets a kind short reply instead.
"""

from __future__ import annotations

import re

from knowledge import messages
from knowledge.text import normalize

_THANKS = (r"谢谢|谢啦|谢了|多谢|感谢|辛苦|麻烦(你|您)(了|啦)?|thx|thanks|thank you|3q"
           r"|(上回|上次|这次|又)?帮(了)?(我|我们)?(一个)?(大忙|不少忙|很多忙|好多忙|很大的忙)")  # "上回帮了大忙"
_BYE = r"拜拜|再见|回见|88|bye"
_ACK = (r"嗯+|恩+|哦+|噢+|喔+|好+的?|好吧|好滴|好嘞|好哒|行+|行吧|可以|ok|okay|收到|知道了?|晓得了?|明白了?|懂了"
        r"|了解|对+|是的|没事了?|算了|没问题|原来如此|这样啊|不用了?|不需要了?|(问题)?(已经)?解决了|已经好了"
        r"|不问了|(别|不要|不用)(再)?发了|就这(些|样|事|个事)|没(有)?(别的|其他的?)(事)?"
        r"|没(啥|什么|事)(事)?|(就是|只是)?(试试|试一下|随便看看)"  # "没啥事 就是试试 谢谢啊"
        r"|(我)?(再)?等(着|你|你们|一下|会)?"
        r"|早上好|上午好|下午好|晚上好|早安|吃了(没|吗|么)|吃饭了(没|吗)")  # "早上好啊 吃了没": a neighbourly hello
# "行 我试试", "那我先接点水存着", "哦 那我下午过去": what the owner will do next, nothing to answer or start.
_PLAN = (r"(那)?(我|俺)(就|先|再|回头|自己)?(明天|下午|上午|晚上|待会|等会|一会儿?|马上|现在)?(就|先|再|自己)?"
         r"(去|过去|过来|(去|过去)?(接(点|些)?水(存着)?|存(点|些)?水|试试|试一下|看看|等等|弄弄"
         r"|问问(楼长|邻居|家里人?|我?(儿子|女儿|老伴|爱人|家人)|别人|业委会)?))(吧|好了|看)?")
_LAUGH = r"哈+|呵+|嘿+|嘻+|6{2,}|[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]+"  # 👍 🙏 👌 ✌️
_FILLER = (r"你|您|你们|了|啦|呀|啊|呢|吧|小邻|师傅|的|们|大家|非常|太|很|真|都|那|那就|先|这样|小伙子|小姑娘|姑娘|小哥"
           r"|闺女|丫头|孩子|老弟|妹子"
           r"|小妹|小?同志|小?机器人|小助手"
           # "谢谢你啊小林": a staff member called by surname
           r"|小[王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢"
           r"姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵钱严武戴孔汤]")
# a greeting asks for the menu (the help dialog)
_GREETING = re.compile(r"你好|您好|在吗|在不在|哈喽|hello|hi|嗨")
_UNITS = re.compile(rf"(?:{_THANKS}|{_BYE}|{_PLAN}|{_ACK}|{_LAUGH}|{_FILLER}|[\s,，。.!！~～、?？…]+)+")
_KINDS = [(re.compile(_THANKS), messages.SMALL_TALK_THANKS), (re.compile(_BYE), messages.SMALL_TALK_BYE),
          (re.compile(r"早上好|上午好|下午好|晚上好|早安|吃了|吃饭了"), messages.SMALL_TALK_HELLO)]
MAX_CHARS = 16  # "谢谢你啊小林 上回帮了大忙" (14) is small talk; a longer message says more


def small_talk_reply(text: str) -> str | None:
    """The reply to a message that is only small talk; None for anything else."""
    word = normalize(text)
    if _GREETING.search(word) and re.search(_THANKS, word):  # "你好你好 小姑娘辛苦了啊": thanks, not the menu
        word = _GREETING.sub("", word)
    if not word or len(word) > MAX_CHARS or _GREETING.search(word) or not _UNITS.fullmatch(word):
        return None
    if re.fullmatch(rf"(?:{_FILLER}|[\s,，。.!！~～、?？…])+", word):
        return None  # fillers alone ("那", "的") say nothing
    if not re.search(r"\w", word) and not re.fullmatch(r"[👍😊🙏]+", word):
        return None  # pictographs alone ("😀😀😀"): no words to answer kindly (the bot has its own reply)
    return next((reply for pattern, reply in _KINDS if pattern.search(word)), messages.SMALL_TALK_OK)
