"""Every owner-facing sentence of the bot core (engine, router, first dialogs), in one place to review.

Short, kind, simple Chinese: many owners are elderly. Dialog files of other features keep their own texts.
"""

from __future__ import annotations

import re

# --- the engine's manners -----------------------------------------------------------------------------------
CANCELLED = "好的，已取消{title}。需要时随时找我。"
NOTHING_TO_CANCEL = "好的。需要帮忙时，回复“帮助”看看我能做什么。"
BACK_AT_START = "已经是第一步了。"
EXPIRED = "刚才的{title}已超时取消，需要的话请重新开始。"
INVALID_DEFAULT = "没看明白这个回答。"
INVALID_EXAMPLE = "例如：{example}"
INVALID_CHOICE = "请回复前面的序号。"
NOT_TEXT = "这一步请直接打字回复。"
NOT_ACCEPTED_MEDIA = "这一步收不了{kind}，请打字回复。"
SEND_MEDIA = "这一步请发送{kinds}。"
EMPTY_ANSWER = "请回复内容。"
SKIP_HINT = "（不需要可回复“跳过”）"
REPEAT_HINT = "发完请回复“好了”。"
ADDED_TO_DESCRIPTION = "好的，已补充到问题描述里。"
# At the photos step, a sentence that says what is wrong ("锁芯拧不动") is more of the description; words about the
# photos themselves ("不会发图", "拍不了"), a hesitation ("那我再想想吧") or a not-knowing are not.
PROBLEM_CUE = re.compile(r"坏|不|没|漏|堵|响|松|卡|断|裂|掉|脏|臭|吵|停|闪|晃|烂|破|滴|歪|锈|冒|渗|夹|脱")
NO_MORE_DESCRIPTION = re.compile(r"照片|相片|图片|发图|拍|发不|不会发|传不|没有了|没了|好了|完成|就这些|就这样"
                                 r"|想想|再说|算了|不知道|不清楚|不懂|不会弄|不用|不要|等等|稍等")


def says_what_is_wrong(word: str) -> bool:
    """A sentence (normalised) that is more of a description: a problem cue, none of the words that are not."""
    return len(word) >= 4 and bool(PROBLEM_CUE.search(word)) and not NO_MORE_DESCRIPTION.search(word)
REPEAT_RECEIVED = "收到第 {count} 个。还有吗？发完请回复“好了”。"
REPEAT_NEED_ONE = "还没有收到内容，请先发送，或回复“取消”。"
OFFER_HANDOVER = "好像一直没对上，真不好意思。回复 1 转人工客服，回复 2 继续填写。"
CONFIRM_FOOTER = "回复 1 确认提交，2 修改，“取消”放弃。"
CONFIRM_AGAIN = "请回复 1 确认提交，2 修改，或“取消”放弃。"
EDIT_WHICH = "要修改哪一项？请回复序号："
SWITCHED = "已退出{title}。"
RESUMED = "我们接着刚才的{title}：\n"
DRAFT_KEPT = "好的，刚才的{title}先帮您留着，10 分钟内回复“{title}”可以接着填。"
ACK_DRAFT_KEPT = "不客气！{title}还没办完，刚才填的先帮您留着，10 分钟内回复“{title}”可以接着填。"
ACK_LEFT = "不客气！需要时再回复“{title}”就好。"
ASK_AWAY = "请问您想问什么？"
TAKE_YOUR_TIME = "好的，不着急，想好了再回我。"
NO_ANSWER_NOTED = "这个问题我还不太清楚，已经记下来给物业完善。"
CANNOT_SKIP = "这一步不能跳过哦。"
NO_PHOTOS_NOTED = "好的，不用照片。"
NAMES_PHOTOS = re.compile(r"照片|图片|相片|图|拍")  # "没有照片" said before the photos step is asked
CORRECTED = "好的，已经帮您改过来了。"
CANNOT_SAY = "说不太清也没关系，简单说说看到的情况就行。"
EMERGENCY = ("情况紧急！请先注意安全，马上拨打物业电话 {phone}（着火请拨 119，有人受伤请拨 120）。"
             "我们按紧急报修处理。")
DANGER = "情况紧急！请先躲到安全的地方，马上拨打 110 报警；也可以打物业电话 {phone} 叫保安过来。"
SUBMIT_FAILED = "抱歉，提交时出了点问题，请稍后再试，或回复“转人工”。"
NEEDS_BINDING = "{title}需要先绑定房屋哦。回复“绑定房屋”，一分钟就好。"
QUESTION_THEN_CONTINUE = "{answer}\n\n我们接着来：{prompt}"
URGENT_NO_ANSWER_THEN_CONTINUE = ("情况紧急，这个请直接打物业电话 {phone} 问，值班的同事会在电话里告诉您。"
                                  "我们接着来：{prompt}")
NO_ANSWER_THEN_CONTINUE = "这个问题我先记下，稍后可以回复“转人工”问客服。我们接着来：{prompt}"

# Words the engine understands in every dialog (compared after normalising: no spaces, half-width).
# "照片没有", "不用拍了", "没图": a skip in words beyond the list above.
SKIP_PHRASE = re.compile(r"(照片|图片|相片|图)?(没有|没|无|不用|不需要|不拍|不发|不传|不上传|拍不了|传不了|没法拍)"
                         r"(拍|发|传)?(照片|图片|相片|图|照)?(了|啦|哈|吧|的)?"  # "不用拍照", "没法拍照片"
                         # "照片等会发 先不发了": later, not now
                         r"|(照片|图片)?(等会|等下|回头|晚点|过会)(再)?(发|拍|说)(吧)?[，,]?(先)?(不发|不拍)?(了)?"
                         r"|(照片|图片)(先)?(不发|不拍)(了)?"
                         r"|(来不及|顾不上|没空|没工夫|没时间)(拍|发)(照片|图片)?(了)?")
# "电话就用我绑定的那个", "电话还是原来的", "电话用这个": an answer about the phone, not a question about it; said
# at the photos step, the owner has moved on (no photos).
PHONE_AS_BEFORE = re.compile(r"(电话|号码|手机).{0,4}(就用|用我|还是|不变|没变|一样|照旧|同上|绑定|原来|不用改"
                             r"|用这个|就这个|打这个|就打|不改|对的|没错)"
                             r"|^(就)?(用|打)(我)?(这个|的|这)(电话|号码|手机号?)")


def is_skip(word: str) -> bool:
    return word in SKIP_WORDS or bool(SKIP_PHRASE.fullmatch(word))


# "不是 打错了 最新公告": the words that only take back the last message say nothing of what is wanted.
_TAKE_BACK = r"(不是的?|不对|打错了|弄错了|搞错了|说错了|按错了|点错了|错了)"
WRONG_LEAD = re.compile(rf"^{_TAKE_BACK}([\s，,。!！]*{_TAKE_BACK})*[\s，,。!！]+")
CHANGED_MIND = re.compile(r"(算了|没事了|不用了)[啊吧哈呀。.!！~～]*$"
                          r"|^(算了|好吧|行|好)?[\s，,。]*(不用|不要|别|甭)(转|转了|找人|麻烦了?)(了|啦)?[。.!！]*$"
                          r"|^(不用|不要|算了|没事)(了|转|转了|麻烦了?)?[\s，,。!！]*(我)?(自己|回头|回家|改天|下次|晚点|过会)"
                          r"|^(嗯|哦|好|那|行)*[\s，,]*(先)?不(报|修|弄|投诉|办|绑|登记)了")  # "嗯 先不报了 谢谢啊"
CANCEL_WORDS = ("取消", "退出", "不办了", "算了", "不要了")
# in a short message: "不修了 取消吧", "不绑了 回头再说"
_STOP = r"取消|不修了|不报了|不投诉了|不办了"
CANCEL_PHRASE = re.compile(rf"{_STOP}|不要了|不弄了|不绑(定)?了|不登记了|不报名了")
# however long the message: "取消吧 不修了 我儿子说他会弄"
CANCEL_LEAD = re.compile(rf"^(那|那就|算了)?[\s，,。]*({_STOP}|不弄了)(吧|了|啊|掉)*([\s，,。!！]|$)")
# "上回修水管的师傅挺好 给个满意", "我要给上次修水管的评价一下": asking to rate, however much praise comes first.
RATING_PHRASE = re.compile(r"(给|打)(个|一个)?(满意|好评|五星|5星|评价)|(想|要)(给|对).{0,12}(评价|打分|评个分)"
                           r"|评价(一下|下)|评个分|打个分|(修好|弄好|修完)了.{0,4}(挺|很|非常|特别|蛮)满意")
# "王师傅今天来修的灯 手脚麻利 给他点个赞👍", "今天小李帮我把快递搬上楼了 太谢谢了", "谢谢你们啊 上次那个水管修好了":
# praise for the staff, thanked kindly; not a report (unless something is wrong again: PRAISE_BUT).
PRAISE = re.compile(r"点(个|一个)?赞|手脚.{0,2}麻利|(真|挺|很|太|特别)(不错|负责|热心|耐心|麻利|靠谱)|太(谢谢|感谢)"
                    r"|谢.{0,12}(修好了|弄好了|修得)|(修好了|弄好了).{0,6}谢|帮了(我)?(大忙|不少忙)")
PRAISE_BUT = re.compile(r"又|还是|没修好|没弄好|但是|可是|不过|坏|漏|堵|不亮|不行|投诉")
PRAISE_THANKS = "谢谢您的肯定，大家听了一定很高兴！有需要随时找我。"
# "好 那接着报刚才那个修", "继续填吧": the draft left a few minutes ago, taken up again.
RESUME_PHRASE = re.compile(r"(接着|继续)(报|填|弄|办|说|刚才)|(刚才|之前)(那个|的)?.{0,6}(接着|继续)")
# "…电话一直打不通你让人给我回个电话…", "我要找你们负责人": a person asked for plainly, however long the message.
PLAIN_HANDOVER = re.compile(r"(我要|我想|我得|让我)找(你们)?(物业)?(的)?(人工|客服|负责人|经理|领导|物业的人|工作人员)"
                            r"|(让|叫|找)(个)?人.{0,3}(给我)?(回|打)(个|一个)?电话")
HANDOVER_PHRASE = re.compile(r"转人工|人工客服|找人工|要人工|真人|活人|找客服"
                             r"|(找|叫|派|来)(个)?人.{0,3}(跟|和|给)我(说|讲|解释)|当面(说|讲)|(给|跟)我打(个)?电话"
                             r"|找人说|跟人说|(给我|帮我)?找个人(?!.{0,2}(修|来|上门|看))"
                             r"|转(给|到)?(你们)?(经理|领导|负责人|主管)|(有没有|有)人工|打个?电话给(我|她|他)"
                             r"|(让|叫|找)(个)?人.{0,3}(打|回)(我|她|他)的?电话"
                             r"|(叫|让)(你们)?的?(经理|领导|负责人|主管)(出来|来|过来|接电话|跟我说|说话)"
                             r"|(给|跟)(我|她|他)(们)?(打|回)(个)?电话"
                             r"|(叫|找)个?人(来)?(问问|问一下|聊|说)|(帮我|给我)?转(个|一个)(人|真人)"
                             r"|(直接)?(跟|和)(你们)?(的)?(客服|人工|真人|工作人员)(说|讲|聊)|别让我填"
                             r"|^(好的?|行|嗯+|那|那就|可以)?转(吧|一下吧?|过去吧?|呗|给人吧?)$")  # "好的转吧"
# "好的谢谢", "知道了 谢谢啊", "好嘞", "嗯嗯 晓得了": the owner acknowledges and leaves; no answer to a step.
ACKNOWLEDGED = re.compile(r"(好的?|好嘞|行|嗯+|哦+|噢|ok|okay|那)?[，,。!！~～]*"
                          r"((谢谢|谢了|多谢|感谢|知道了|晓得了|明白了|懂了|收到|好嘞|了解|没事了)"
                          r"(你|您|你们|啦|了|啊|呀|哈|哦|小助手)*[^\w]*)+", re.I)
# "你是真人还是机器人": a question about the bot, not a request for a person.
ABOUT_THE_BOT = re.compile(r"(你|您)(是|到底是)(不是)?(真人|机器人|人工|人)|是不是(真人|机器人)|真人还是机器")
BACK_WORDS = ("返回", "上一步", "返回上一步")
HANDOVER_WORDS = ("转人工", "人工", "人工客服", "找客服", "客服")
SKIP_WORDS = ("跳过", "不需要", "没有", "无", "不用", "不用了", "没照片", "没有照片", "无照片", "不拍了", "没拍",
              "不发了", "没", "没图", "没有图片", "没图片", "没有图", "无图", "不发", "不用发", "不用拍", "没拍照",
              "没有相片", "没相片", "不用了谢谢", "不需要照片", "不用照片", "没有照片了", "不用拍了", "不拍", "拍不了",
              "没法拍", "不方便拍", "没拍照片", "没图了", "不发照片", "不发图", "没有图了", "跳过吧", "不用了吧")
# "没有照片 电话就用我绑定的": an optional step skipped and the next one answered in the same message.
_NO_PHOTOS = r"没有照片|没照片|没有图片|没图片|照片没有|照片没拍|不拍了|没拍"
_BREAK = r"\s*[，,。.、;；!！\s]\s*"
SKIP_THEN_MORE = re.compile(rf"^\s*({_NO_PHOTOS}|不用拍|拍不了|跳过|没有|不用了|不用){_BREAK}(?P<rest>\S.*)$", re.S)
# "后天下午吧 没照片": the next step's answer first, the photos declined after it.
MORE_THEN_SKIP = re.compile(rf"^\s*(?P<rest>\S.*?){_BREAK}({_NO_PHOTOS}|不用拍照?|拍不了)[了吧啊哈。！!]*\s*$", re.S)
DONE_WORDS = ("好了", "完成", "没有了", "就这些", "发完了", "好", "行了", "可以了", "谢谢", "谢了", "多谢")
YES_WORDS = ("1", "是", "是的", "好", "好的", "要", "确认", "确定", "提交", "对", "可以")
NO_WORDS = ("2", "否", "不", "不用", "不要", "不用了", "修改", "改")
CONFIRM_YES_WORDS = ("1", "确认", "确定", "提交", "是", "对", "好", "好的", "可以", "确认提交", "没问题", "没错",
                     "就这样", "都对")
# "1 确认", "好的 确认提交", "对 没问题 提交吧", "对的没问题 就这样": a yes in several words.
CONFIRM_YES_PHRASE = re.compile(r"((1|确认|确定|提交|是的?|对的?|好的?|可以|没问题|没错|都对|就这样|就这么办|行|嗯+|ok)"
                                r"[啊吧了呀哈]?){2,4}")
CONFIRM_EDIT_WORDS = ("2", "修改", "改", "不对")
OFFER_YES_WORDS = ("1", "是", "是的", "好", "好的", "要", "转人工")
OFFER_CONTINUE_WORDS = ("2", "继续", "不用", "不要")
FEEDBACK_YES_WORDS = ("1", "有帮助", "有用")
FEEDBACK_NO_WORDS = ("2", "没帮助", "没用")
PAY_WORDS = ("缴费", "交物业费", "交费", "缴物业费", "物业费缴费")
VISITOR_WORDS = ("访客", "访客登记", "来访")
MEDIA_NAMES = {"image": "图片", "voice": "语音", "video": "视频", "shortvideo": "视频", "location": "位置",
               "link": "链接"}
SOME_MESSAGE = "这类消息"
SOME_CONTENT = "内容"
EMPTY_VALUE = "（空）"
COUNT_VALUE = "{count} 个"
REPEATED_FAILURE_NOTE = "[{title}] 多次没对上"

# --- hand-over (转人工) -------------------------------------------------------------------------------------
HANDOVER_OPENED = "已为您转人工客服，编号 {number}。物业客服会在这里回复您，{when}，请留意消息。"
HANDOVER_ALREADY = "已经在为您转人工了（编号 {number}），物业客服会在这里回复您，{when}。您的新消息客服也能看到。"
HANDOVER_WHEN_OPEN = "一般 {minutes} 分钟内"
HANDOVER_WHEN_CLOSED = "现在是下班时间，客服 {start} 上班后会尽快回复"
OFFER_PERSON = "要转人工客服吗？"
PERSON_ON_THE_WAY = "您已经在等人工客服回复（编号 {number}），客服会一起看到这条消息，{when}。"
ASK_FOR_PERSON_HINT = "需要人工时回复“转人工”。"
OFFER_YES_LABEL = "转人工客服"
OFFER_NO_LABEL = "不用了"
DID_YOU_MEAN_ASK = "您是要{title}吗？"
DID_YOU_MEAN_YES_LABEL = "是的"
DID_YOU_MEAN_NO_LABEL = "不是"
HANDOVER_FAILED = "抱歉，暂时没能转给客服。请直接拨打物业电话{phone}。"
HANDOVER_DECLINED = "好的。还有什么可以帮您？"
A_DIALOG = "对话"
NO_PHONE = "（请看小区公告栏）"
MENU_PAY, MENU_VISITOR, MENU_HUMAN = "[菜单] 缴费", "[菜单] 访客", "[菜单] 转人工"

# --- outside a dialog ---------------------------------------------------------------------------------------
WELCOME = ("您好，欢迎关注{community}物业服务号！\n我可以帮您报修、投诉、查物业常见问题。"
           "第一次使用请先回复“绑定房屋”，绑定后办事更方便。")
WELCOME_BACK = "欢迎回来！回复“帮助”看看我能做什么。"
NOT_YET_AVAILABLE = ("{what}功能还没有在这里开通，真抱歉。已请客服跟进您的需求（编号 {number}），"
                     "也可以拨打物业电话 {phone}。")
PAY = "线上缴费"
VISITOR = "访客登记"
FAQ_PROMPT = "请直接输入您的问题，例如：物业费怎么交？"
FEEDBACK_ASK = "这个回答有帮助吗？"
FEEDBACK_YES_LABEL = "有帮助"
FEEDBACK_NO_LABEL = "没帮助"
FEEDBACK_THANKS = "谢谢您的反馈！"
FEEDBACK_SORRY = "抱歉没帮上忙，我会把这个问题记下来。"
CHOOSE_QUESTION = "您是想问哪一个？请回复序号："
UNKNOWN = "这个问题我还不太清楚，已经记下来给物业完善。"
UNKNOWN_UNBOUND = ("这个问题我还不太清楚，已经记下来给物业完善。您还没有绑定房屋，现在只能回答通用的问题；"
                   "回复“绑定房屋”选好您的小区后，小区的具体规定我也能告诉您。")
WHICH_COMMUNITY = "您住在哪个小区？我按您小区的规定来答（绑定房屋后就不用再选了）。"
PARTICULAR_CASE = "以上是小区的规定；您问的具体情况，需要物业同事帮您查一下。"
UNKNOWN_DECLINED = "这个问题我还不太清楚，已经记下来给物业完善。需要人工时回复“转人工”。"
UNKNOWN_WHILE_OPEN = "这个问题我还不太清楚。您已经在等人工客服回复（编号 {number}），客服会一起看到这条消息。"
ASSISTANT_MISSING = "这个问题我现在答不上来。"
EMPTY_TEXT = "您好，请问有什么可以帮您？回复“帮助”看看我能做什么。"
EMOJI_ONLY = "收到您的表情啦 😊 有什么需要，直接打字告诉我就好。"
TOO_LONG_NOTE = "（您的消息比较长，我先看了前面一部分。）\n"
UNSUPPORTED = {
    "image": "收到图片啦。如需报修，请先回复“报修”，再按提示发照片。",
    "voice": "语音没听清，请打字告诉我，或回复“转人工”。",
    "video": "收到视频啦。我暂时看不了视频，请打字告诉我需要什么帮助。",
    "shortvideo": "收到视频啦。我暂时看不了视频，请打字告诉我需要什么帮助。",
    "location": "收到位置啦。如需报修公共区域，请先回复“报修”。",
    "link": "收到链接啦。我暂时打不开链接，请打字告诉我需要什么帮助。",
}
UNSUPPORTED_DEFAULT = "收到啦。请打字告诉我需要什么帮助，或回复“帮助”。"
SORRY = "抱歉，系统出了点问题，请再试一次，或回复“转人工”。"
STATE_UNAVAILABLE = "系统有点忙，您的消息已收到，稍后回复您。"

# --- 帮助 -------------------------------------------------------------------------------------------------
HELP_HEAD = "我可以帮您："
HELP_ITEM = "{n}. {title}：回复“{trigger}”"
HELP_EXTRA = ("{n}. 常见问题：直接打字提问，例如“物业费怎么交？”",
              "{n}. 转人工：回复“转人工”")
HELP_FOOT = "办事中途可回复“返回”上一步、“取消”退出。"

# --- 绑定房屋 -----------------------------------------------------------------------------------------------
BIND_COMMUNITY = "请选择您的小区："
BIND_NO_COMMUNITY = "本公众号的小区还在开通中，暂时不能绑定房屋，请过几天再试。急事请直接联系物业服务中心。"
NO_COMMUNITY_YET = "本公众号的小区还在开通中，客服暂时不能在这里接待。急事请直接联系物业服务中心，谢谢理解。"
BIND_BUILDING = "请选择楼栋（回复序号或楼号，如“1栋”）："
BIND_BUILDING_UNKNOWN = "没有找到这个楼栋，请回复序号。"
BIND_REQUEST_PHONE = "尾号{last4}"
BIND_ROOM = "请回复房号，例如：1单元101"
BIND_ROOM_UNKNOWN = "没有找到这个房号。"
BIND_ROOM_AMBIGUOUS = "有几户都是这个房号，请加上单元。"
BIND_NAME = "请回复住户姓名（与物业登记的一致）："
BIND_NAME_INVALID = "请回复姓名，1 到 20 个字。"
BIND_PHONE = "请回复登记手机号的后四位："
BIND_PHONE_INVALID = "请回复 4 位数字。"
BIND_OK = "绑定成功：{label}。\n现在可以回复“报修”“我的房屋”等办事了。"
BIND_ALREADY = "您已经绑定过：{label}，不用重复绑定。"
BIND_REQUESTED = ("信息和物业登记的没对上，已帮您提交绑定申请（编号 {reference}），"
                  "物业工作人员核实后会在这里通知您。")
BIND_TOO_MANY = "今天验证次数太多了，为保护住户信息，请明天再试，或回复“转人工”。"

# --- 我的房屋 -----------------------------------------------------------------------------------------------
MY_HOUSEHOLDS_PROMPT = "您绑定的房屋如下。如需解绑，请回复序号；不需要就不用回复。"
MY_HOUSEHOLDS_NONE = "您还没有绑定房屋。回复“绑定房屋”，一分钟就好。"
UNBIND_CONFIRM = "确认解绑 {label} 吗？解绑后就不能用它报修、查询了。"
UNBIND_OK = "已解绑 {label}。需要时可以回复“绑定房屋”重新绑定。"
UNBIND_GONE = "这个房屋已经不在您的绑定里了。"
