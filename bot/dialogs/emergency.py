"""What an emergency reads like, in one place: fire, gas, flooding, someone trapped, electricity and water together;
and danger from people (a fight, a knife: 110).
The listener (bot/dialogs/listening.py) answers it at any free-text step, the repair extract marks the report urgent,
and the router starts the repair with the emergency answer when a whole message is one."""

from __future__ import annotations

import re

EMERGENCY = re.compile(
    r"(?<![不没])着火|起火|火灾|冒烟|烟很大|困人|被困|困在|困住|困里|困电梯|关在电梯|卡在电梯|煤气味|燃气味|(?<!没有)(?<!不是)(?<![没不])漏气"
    r"|(地板|地上|屋里|家里).{0,3}(都)?泡了|水漫|漫出来|漫了|漫到|漫进|淹了|喷水|爆管|水管爆|管子爆|触电|漏电|有人晕倒|救命|到处都是水|满地(都)?是水"
    r"|地上(全|都)是水|流了一地|哗哗(地|的)?(往下|往外)?(流|淌|冒)|往下(流|淌)水"
    r"|电梯.{0,8}(关住|关在里|关着人|出不来)|有人.{0,6}(关住|关着|关在|出不来)|被关在|关着人|(里面|里头)(还)?(关|困)着"
    r"|关人了|关了人|被关(在)?电梯|关(在)?电梯里|(在)?(里面|里头)出不来"
    # "里面关了个老太太出不来", "车库进水了 淹到车轱辘", "电梯里有股焦糊味 像是烧着什么了"
    r"|关了(个|一个|两个)?(人|老|小|孩|娃|我).{0,4}出不来|(车库|地库|地下室|家里|屋里|楼道).{0,3}进水|淹到|淹没"
    r"|焦糊味|烧焦味|糊味.{0,6}烧|烧着(了|什么)"
    r"|(燃气|煤气|天然气).{0,4}漏|臭鸡蛋|往外(流|冒|涌|喷|淌)"
    r"|(插座|电箱|电闸|电线).{0,6}(进水|渗水|漏水|冒水|出水|有水|冒火|火花|烧焦)"
    r"|(进水|渗水|漏水|冒水|有水|水从|水顺着).{0,6}(插座|电箱|电闸|电线)")
# Hurry without danger: the report is urgent, no emergency answer.
HURRY = re.compile(r"赶紧|赶快|快点|快来|尽快|马上|立刻|紧急|急死|很急|(?<![不没])着急|急急|急[!！]|淹水|爆了|跑水"
                   r"|关在")


# Someone in danger from people, now: the police first (110), then the community's guards.
DANGER = re.compile(r"打架(?!子)|打起来了|动手了|(拿|持|拎|举|掏)(着|出)?(把|一把)?(刀|菜刀|棍子|铁棍|凶器)"
                    r"|砍人|捅人|抢劫|抢包|(有人|正在|在)撬(门|锁)|入室(盗窃|抢劫)|有坏人|耍流氓|非礼")


def is_danger(word: str) -> bool:
    return bool(DANGER.search(word))


def is_emergency(word: str) -> bool:
    return bool(EMERGENCY.search(word))


def is_urgent(word: str) -> bool:
    return bool(EMERGENCY.search(word) or HURRY.search(word))
