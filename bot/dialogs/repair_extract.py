"""What a repair message already says (我家厨房漏水了赶紧来人 / 3栋2单元电梯又坏了 / 水电 客厅插座没电了): home or
public area (with building, unit and facility), category, description, preferred time and urgency, so the dialog
asks none of it again. Used on the opening message and on every answer at the place and category steps."""

from __future__ import annotations

import re
from typing import Any

from bot.context import DialogContext
from bot.dialogs.emergency import is_urgent as urgent
from bot.dialogs.parsers import DESCRIPTION_LIMIT, clean, folded
from bot.dialogs.when import PastWindow, parse_window
from bot.dialogs.words import is_emoji_only, looks_like_question
from workflows.repairs.intake import BUILDING, UNIT, building_of, facility_of, unit_of

# Words → category, the first that matches wins; a facility says its category first (大门的杆子 is 公共设施).
FACILITY_CATEGORY = {"电梯": "电梯", "大门": "公共设施", "路灯": "公共设施", "健身器材": "公共设施", "楼道灯": "水电",
                     "单元门": "门窗", "信箱": "公共设施", "垃圾站": "公共设施",
                     "充电桩": "公共设施"}
CATEGORY_WORDS = (("电梯", "电梯"), ("轿厢", "电梯"), ("升降梯", "电梯"), ("直梯", "电梯"),
                  ("燃气", "燃气"), ("煤气", "燃气"), ("天然气", "燃气"), ("堵", "管道疏通"),
                  ("下水", "管道疏通"), ("冲不下", "管道疏通"), ("地漏", "管道疏通"), ("路灯", "公共设施"),
                  ("健身", "公共设施"), ("单杠", "公共设施"), ("双杠", "公共设施"), ("秋千", "公共设施"),
                  ("滑梯", "公共设施"), ("道闸", "公共设施"), ("栏杆", "公共设施"), ("抬杆", "公共设施"),
                  ("杆子", "公共设施"), ("喷泉", "水电"), ("黑了", "水电"),
                  ("太暗", "水电"), ("暖气", "水电"), ("地暖", "水电"),
                  ("围栏", "公共设施"), ("栅栏", "公共设施"), ("护栏", "公共设施"), ("儿童乐园", "公共设施"),
                  ("游乐", "公共设施"), ("地砖", "公共设施"), ("扶手", "公共设施"),
                  ("水", "水电"), ("电", "水电"), ("灯", "水电"),
                  ("插座", "水电"), ("跳闸", "水电"), ("风扇", "水电"), ("换气扇", "水电"), ("浴霸", "水电"),
                  ("空调", "水电"),
                  ("门", "门窗"), ("窗", "门窗"), ("锁", "门窗"))
HOME = re.compile(r"我家|家里|家中|屋里|我们家|自己家|俺家|咱家|入户门"
                  r"|室内|卧室|厨房|卫生间|客厅|阳台|洗手间|厕所|浴室|书房|主卧|次卧"
                  r"|马桶|热水器|天花板|吊顶|暖气|空调|水龙头|我屋|燃气表|燃气灶"
                  r"|花洒|淋浴|洗脸盆|洗手池|洗菜盆|水槽|油烟机|地暖|门把手|进户门")
PUBLIC = re.compile(r"健身器材|单杠|双杠"
                    r"|公共区域|公共|电梯|楼道|走廊|大堂|车库|地库|大门|门禁|单元门|路灯|花园|垃圾站|楼梯间|小区门"
                    r"|升降梯|直梯|(?<![号0-9一二三四五六七八九十])楼门|楼下的?大门|单元的?大门|单元的门(?![口前])|地下车库|地下室|地下停车场"
                    r"|正门|侧门|伸缩门|[东南西北]门"
                    r"|道闸|健身"
                    r"|消防门|消防通道|消防栓箱|消防栓|消防箱|消防柜|灭火器|消防|声控灯|楼梯灯|过道|草坪|广场|信箱|快递柜"
                    r"|活动室|会所|天台|楼顶|屋顶|大厅|门厅|停车场|游乐场|儿童乐园|凉亭|水泵房|配电房|泳池|游泳池|楼梯|防盗门|轿厢"
                    r"|垃圾房|垃圾间|垃圾桶|垃圾箱|台阶|栏杆|抬杆|岗亭|卷帘门|草坪灯|庭院灯|秋千|滑梯|井盖|铁门|可视对讲"
                    r"|楼下(的|那个|那扇)?门(?![口前外铃])"
                    r"|负[一二三][楼层]|充电桩|充电(的)?(地方|处|口|站|棚|柜)|车棚"
                    r"|排水沟|水沟|下水道|雨水井|阴沟|(?<=[楼栋幢元])门口|围栏|栅栏|护栏"
                    r"|[0-9一二两三四五六七八九十]+层的?(声控)?灯")
# "我家大门锁坏了" is the flat's own front door (入户门), not the community's gate.
HOME_DOOR = re.compile(r"(我|俺|咱|我们|自己)家(的)?大门|家里(的)?大门|家(的)?门口?的?大门")
PLACE_HINT = re.compile(r"[0-9一二三四五六七八九十]+(号楼|栋|幢|单元|号|室|层|楼)"
                        r"|楼|栋|幢|单元|室|层|门|梯|楼道|过道|通道|走道|库|园|站"
                        r"|场|口|廊|厅|房|区|路|墙|顶|窗|池|亭|边|旁|前面|后面|下面|里|厨|卫|阳台|车位|大堂|花坛")
TRIGGER = re.compile(r"^(我要报修|我想报修|报修一下|报个修|紧急报修|报修|维修)[\s:：，,。.！!]*"
                     r"|[\s，,。]*(帮我|给我|我要|要|请)?(报修一下|报个修|报一下修|报修|维修一下)[吧啊呀。！!]*$")
FILLER = re.compile(r"我是\S{0,4}?(家)?(的)?(阿姨|保姆|租客|租户|房东|业主|儿子|女儿|闺女|家属|亲戚|邻居)"  # who writes
                    r"|公共区域|公共|(俺|我|咱|我们)家里|家里|我家|俺家|咱家|家中|屋里|的|了|要|我|帮|一下|报修|维修"
                    # a carer's words: "帮我妈报个修", "她家就是1号楼1单元101"
                    r"|(她|他|我妈|我爸|妈|爸|老人|爸妈|父母|老爷子|老太太)(家)?|号|室"
                    r"|其他|类|区域|这边|那边|方面|这块|那块|一块|相关|之类|那种|修理|修"
                    r"|你好|您好|在吗|喂|想|麻烦|请|个|是|自己|就|在|里"
                    r"|楼|层|[0-9一二两三四五六七八九十]"
                    r"|毛病|问题|故障|情况|东西|事情|事儿|有点|有个|坏掉|坏|出问题|有问题|不好使"
                    r"|[^\u4e00-\u9fff]")
THINGS = re.compile(r"电梯|燃气|煤气|天然气|下水|马桶|地漏|路灯|健身|道闸|灶|热水器|空调|水龙头|龙头|防盗|水管"
                    r"|开关|灯泡|电表|水表|灯|插座|门|窗|锁|水|电")
GROUP_NAMES = ("门窗", "水电", "公共设施", "管道疏通", "其他")  # categories that name no particular thing
BROKEN = re.compile(r"坏|出问题|有问题|不好使|不行了")
HOME_ROOM = re.compile(r"(我|俺|咱|自己)家(里|的)?.{0,2}(防盗门|门(?![口铃禁])|水管|管子|暖气|插座)|入户门|进户门"
                       r"|^(报修|维修|报个修)?(家里|家中|我家|自己家)(?!.{0,3}(楼下|楼道|门口|附近|旁边|对面|那栋|电梯))"
                       r"|厨房|卫生间|客厅|卧室|阳台|洗手间|厕所|浴室|书房|天花板|马桶|热水器|燃气表|燃气灶|屋里")
WHEN = re.compile(r"(今天|明天|后天|大后天|(下)?(周|星期|礼拜)[一二三四五六日天])?(上午|下午|晚上|中午|早上|傍晚)?"
                  r"([0-9]{1,2}|[一二两三四五六七八九十]{1,3})?[点:：]?(半|以后|之后|后)?")


def looks_like_place(text: str) -> bool:
    """A place step accepts what names a place (3栋2单元楼道, 车库入口, 我家厨房), not a question or a phrase."""
    word = folded(text)
    return (len(word) >= 2 and not is_emoji_only(word) and not looks_like_question(word)
            and not re.search(r"不知道|不清楚|不确定|不懂|说不好", word) and bool(PLACE_HINT.search(word)))


def is_urgent(text: str) -> bool:
    return urgent(folded(text))


# "3栋电梯坏了 不对不对 是4栋的": the owner corrects themselves within one message.
SELF_CORRECTION = re.compile(r"[\s，,。]*(不对|说错了|搞错了|打错了|写错了|错了)([\s，,。]*(不对|错了))*"
                             r"[\s，,。]*(是)?")


def corrected(text: str) -> str:
    """The message with the building and unit named before a self-correction dropped (what follows replaces them)."""
    found = list(SELF_CORRECTION.finditer(text))
    if not found or found[-1].start() == 0:
        return text
    before, after = text[:found[-1].start()], text[found[-1].end():]
    if not building_of(after) and not unit_of(after):
        return text
    return f"{UNIT.sub('', BUILDING.sub('', before))} {after}".strip()


def public_place(text: str) -> str:
    """"3栋2单元电梯又坏了" → "3号楼2单元电梯"; "中心花园的路灯不亮了" → "中心花园的路灯"; "" when nothing is named."""
    word = folded(corrected(text))
    building, unit = building_of(word), unit_of(word)
    spots = [m for m in PUBLIC.finditer(word) if not m.group(0).startswith("公共")]
    head = (f"{building}号楼" if building else "") + (f"{unit}单元" if unit else "")
    if not spots:
        return head
    start, end = spots[0].start(), spots[0].end()
    later: list[str] = []
    for spot in spots[1:]:  # "中心花园的路灯"; not "电梯按钮全不亮电梯": what lies between may be the neighbour's words
        if spot.start() - end <= 2 and not later:
            end = spot.end()
        elif spot.group(0) not in word[start:end] and spot.group(0) not in later:
            later.append(spot.group(0))  # "2号楼大门 门禁坏了" → 2号楼大门、门禁
    while start > 0 and re.match(r"[\u4e00-\u9fff]", word[start - 1]) \
            and word[start - 1] not in "修报我要在的楼栋幢座元一二两三四五六七八九十点了啊呀吧嘛呢哎喂":
        start -= 1  # 中心花园, 小区大门, 地下车库
    spot = word[start:end]
    if unit and spot.startswith("单元"):  # "5栋1单元的大门" → 5号楼1单元的大门, not …1单元单元的大门
        tail = spot[2:]
        spot = tail if PUBLIC.search(tail) else "门" if tail.lstrip("的") == "门" else spot
    return "、".join([head + spot, *later])


def only_building(text: str) -> bool:
    """"3号楼" / "5栋2单元": a building (and unit) but no facility or place word."""
    rest = UNIT.sub("", BUILDING.sub("", folded(text)))
    return bool(building_of(text)) and not PUBLIC.search(rest.replace("公共区域", "")) \
        and not (unit_of(text) and rest.lstrip("的").startswith("门"))  # 1单元门 is the unit's door


def description_of(text: str) -> str:
    """The owner's words about the problem, as they typed them; "" when the text only names place and category."""
    body = TRIGGER.sub("", clean(text)).strip(" ，,。:：")
    rest = PUBLIC.sub("", UNIT.sub("", BUILDING.sub("", folded(body))))  # places first: 楼道 before 楼
    rest = HOME.sub("", rest)  # "自己家", "厨房": a place in the home says nothing of what is wrong
    rest = FILLER.sub("", rest)
    for _, category in CATEGORY_WORDS:
        rest = rest.replace(category, "")
    rest = THINGS.sub("", rest)  # "2单元楼道灯" names a place and a thing, not what is wrong
    if not rest:  # "楼道灯坏了" says what is wrong with which thing; "门窗坏了", "家里东西坏了" name no thing
        word = folded(body)
        for group in GROUP_NAMES:
            word = word.replace(group, "")
        rest = "named" if THINGS.search(word) and BROKEN.search(word) else ""
    return body[:DESCRIPTION_LIMIT] if rest else ""


def when_of(text: str, ctx: DialogContext) -> dict[str, Any] | None:
    for match in WHEN.finditer(folded(text)):
        phrase = match.group(0)
        if len(phrase) < 2 or not re.search(r"天|周|星期|礼拜|午|晚|早|点", phrase):
            continue
        if re.match(r"(一|半|整|两)", phrase) or folded(text)[max(0, match.start() - 1):match.start()] in ("一", "整"):
            continue  # "滴了一晚上", "一上午都没水": how long, not when to come
        try:
            return parse_window(phrase, tz=ctx.runtime.settings.tz).to_json(phrase)
        except (PastWindow, ValueError):
            continue
    return None


def category_of(text: str, names: list[str]) -> str | None:
    word = folded(text)
    named = [g for g in GROUP_NAMES if g in word and g in names and g != "其他"]
    if len(named) == 1:  # "电梯口的地砖翘起来了 报修公共设施": the category the owner names, over the facility's
        return named[0]
    by_facility = FACILITY_CATEGORY.get(facility_of(word))
    if by_facility in names:
        return by_facility
    for name in sorted(names, key=len, reverse=True):
        if name in word and name != "其他":
            return name
    word = re.sub(r"电话|电视|电脑", "", word)  # "电话就打我这个" names no 水电
    for word_part, category in CATEGORY_WORDS:
        if word_part in word and category in names:
            return category
    return "其他" if "其他" in word and "其他" in names else None


def read_repair(text: str, ctx: DialogContext, names: list[str]) -> dict[str, Any]:
    """Every slot the text fills: where, category, description, when, urgent."""
    word = HOME_DOOR.sub("入户门", folded(corrected(text)))
    found: dict[str, Any] = {}
    if is_urgent(word):
        found["urgent"] = True
    public, home = PUBLIC.search(word), HOME.search(word)
    if public and not HOME_ROOM.search(word):  # 我家老人坐的电梯 is the building's elevator; 我家厨房 is home
        found["where"] = {"public": True, "text": public_place(word)}
    elif home and len(ctx.owner.households) == 1:
        h = ctx.owner.households[0]
        found["where"] = {"household_id": h.household_id, "community_id": h.community_id, "label": h.label,
                          "public": False}
    elif building_of(word):
        found["where"] = {"public": True, "text": public_place(word)}
    category = category_of(word, names)
    if category:
        found["category"] = category
    description = description_of(text)
    if description:
        found["description"] = description
    when = when_of(text, ctx)
    if when:
        found["when"] = when
    return found
