"""Where an FAQ answer stops: questions the FAQ's rules surround but cannot answer alone (a particular person,
account or year: the rules, then a person who can look it up), and questions outside the property's remit (a shop's
hours, the housing market: the honest "not sure", whatever entry looks close). One place for the router and the
unbound owner's community question."""

from __future__ import annotations

import re

# A question about one particular person, account or year (谁家堆的, 是不是多扣了, 去年的收益): the FAQ holds the
# rules around it, not the answer; the owner gets the rules and the offer of a person who can look it up.
NEEDS_PERSON = re.compile(r"(是|归)谁|谁(家|买|干|弄|堆|放|停|占)|哪(家|户)(的|买|堆|停|占)"
                          r"|多扣|扣错|扣多|多收|收错|少算|算错|对不上|明年|去年|前年|上个月|上月|监控|录像"
                          r"|谁的责任|谁负责|(要|得|该)赔|赔多少|赔偿"
                          r"|(租约|合同|车位|租期).{0,6}到期|我家.{0,10}(能不能|可不可以|可以吗|行不行)"
                          r"|(隔壁|楼上|楼下|对门|对面).{0,6}(那户|那家|邻居|人家).{0,12}(是不是|有没有|到底)"
                          r"|换届|选举"
                          # one household's own account: "燃气费怎么比邻居高", "房东说物业费他交了 我怎么确认"
                          r"|比(邻居|别人|别家|隔壁)(的|家)?.{0,4}(高|多|贵)|怎么确认|(交|缴)(了|过)没(有)?|帮我查"
                          # one household's arrears: "房东的物业费欠了好几年 会不会影响我住"
                          r"|欠(了|着)?.{0,6}(物业费|费)|(物业费|费用?)(都)?欠"
                          # a balance asked for ("1号楼的维修基金还剩多少钱"), not where balances are shown
                          r"|(还剩(多少|几)|余额(还)?(是|有)?多少)(?!.{0,6}(在哪|哪里|哪儿|怎么查|哪能))")
# A shop's opening hours or another community's fees are not the property's to answer, however close an FAQ entry
# about our own gates or fees looks: the honest "not sure" and the offer of a person.
OUTSIDE_REMIT = re.compile(r"(隔壁|别的|其他|旁边的?|对面的?)\S{0,4}小区"
                           r"|(那家|这家).{0,8}(几点|开门|关门|营业|好吃|价格)"
                           r"|(面馆|饭馆|饭店|餐馆|超市|药店|菜市场|便利店|理发店).{0,6}(几点|开门|关门|营业)"
                           # city and public services, outside trades: not the property's rules either
                           r"|养老金|退休金|社保|医保|户口|落户|(市|区|街道|政府|国家).{0,8}(补贴|政策)|老旧小区改造"
                           r"|(社区)?医院|诊所|学校|幼儿园|开锁(师傅|公司)|有线电视|房产证.{0,4}(加名|过户|更名)|加名字"
                           r"|售后|厂家|新买的"  # a new appliance's warranty is the maker's
                           # the developer's certificates, a change of property company: not the property's to say
                           r"|开发商|(房产证|产权证).{0,8}(办下来|办好|下来|什么时候|啥时候|进度|还没|办到|哪一步)"
                           r"|(什么时候|啥时候|何时).{0,4}(能)?办.{0,2}(房产证|产权证)|不动产证|换物业"
                           # the housing market's prices: not ours either
                           r"|二手房|房价|均价|挂牌价|(卖|出售|买)(房|房子).{0,12}(多少钱|价格|行情)|房子.{0,6}(卖|出售).{0,10}(多少钱|价格)")
