"""Intent routing: which of the intents the bot passes (its dialogs) or the FAQ an owner's free text is for, and the
slots it already fills.

knowledge knows no dialog: every IntentSpec carries its own examples and keyword evidence, declared beside the dialog
(bot/dialogs/). The FAQ class is knowledge's own (knowledge/data/faq_examples.txt). Without an LLM the
OfflineIntentClassifier decides: nearest examples by embedding, nudged by keyword evidence and by the sentence's form
(a how-to question goes to the FAQ, a request to a dialog), plus a logistic regression fitted on the same examples
(knowledge.intent_model), with a confidence; below the threshold it answers "faq".
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.example_vectors import ExampleVectors
from knowledge.intent_model import SoftmaxIntents
from knowledge.small_talk import small_talk_reply
from knowledge.text import A_NOT_A, CLAUSE_ASKS, DATA, MOBILE, normalize, query_form, truncate

FAQ = "faq"
MIN_CONFIDENCE = 0.6
MODEL_WEIGHT = 0.03  # of the regression's log-probability, next to the nearest-example similarity (0.8–1.0)
KEYWORD_BONUS = 0.04
EXPLICIT_ONLY_PENALTY = 0.03
FAQ_EXAMPLES = [line.strip() for line in (DATA / "faq_examples.txt").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class IntentSpec:
    """One thing an owner may ask for, as the bot declares it (a dialog's language)."""

    name: str
    description: str
    examples: list[str] | tuple[str, ...] = field(default_factory=list)
    slots: list[tuple[str, str]] | tuple[tuple[str, str], ...] = field(default_factory=list)  # (name, description)
    keywords: str = ""  # a regular expression over the normalised text: evidence for this intent, not a verdict
    lookup: bool = False  # asking about it is asking for it ("我的报修进度怎么样了？"): a question form costs nothing
    supersedes: tuple[str, ...] = ()  # when this intent's keywords match, these intents' keywords do not count
    explicit_only: bool = False  # without its keywords this intent is an unlikely reading (starting a payment)
    excludes: str = ""  # a regular expression: when it matches, this intent's keywords do not count ("维修基金")
    # A regular expression whose match decides for this intent when the message is no question (or also a request)
    # and no other intent's keywords are there: "单杠松了 晃得厉害" names a thing and what is wrong with it.
    decisive: str = ""


@dataclass
class IntentGuess:
    intent: str | None
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)
    source: str = "offline"  # offline | llm


# A how-to question is for the FAQ ("物业费怎么交"); a request names what the owner wants done ("我想交物业费").
QUESTION_FORM = re.compile(r"怎么|怎样|如何|多少|几点|(?<![好那这])几[类个种次天号条只辆]"
                           r"|哪(?!天.{0,4}(都|也)(行|可以))|谁(?!都|也)|什么时候(?!.{0,2}都)|几时|多久|能不能|可不可以|是.{1,10}还是"
                           r"|可以.{0,8}吗|是不是|要不要|是否|咋|啥|吗[?？]?$|[么不没][?？]?$|没有[?？]?$|[?？]$"
                           r"|会不会|真的假的|有什么用|(小区|附近)里?有没有|有没有|行不行|干嘛|干啥|吗(?=[\s，,])"
                           r"|^(那|那么|还有)\S{1,8}呢[?？]?$|是吧[?？]?$"  # "那电表的呢": and what about
                           r"|" + A_NOT_A + "|" + CLAUSE_ASKS.pattern)
REQUEST_FORM = re.compile(r"^(我要|我想(?!问|知道|了解|咨询|请教)|我来|给我|请派|把)|帮我(?!.{0,3}问)|帮忙|请帮|麻烦"
                          r"|了$|了[,，。!！]|一下[吧呗]?[。!！]?$"
                          r"|(来|派)个?人.{0,3}看|派人|(过来|上门|来)看看|让我报|报一下"
                          r"|^[交缴付续充报修]一下|(能不能|能否|可不可以|可以).{0,6}(说说|管管|管一下|处理一下|上门|修一下|帮我|(过)?来(修|看|人))")
# Messages that hold a dialog's word but ask for no dialog: a question about a rule or a fee ("养狗有啥规定没"),
# a request for a phone number ("把报修电话发我"), an instruction or a no-need to the bot ("别再给我推活动了",
# "不用报修了"), a question about a staff member ("管家是谁"). They go to the FAQ answer (which offers a person when it
# has none).
RULE_QUESTION = re.compile(r"规定|规矩|收费|要钱|收钱|交钱|给钱|花钱|掏钱|费用|多少钱|标准|流程|手续"
                           r"|需要.{0,4}登记|要.{0,4}登记"
                           r"|允许|让不让|管不管|负不负责|归不归|有没有.{0,4}(规定|要求|限制)|找谁|该找|归谁管|谁管|(找|是)(你们|物业).{0,6}还是"
                           # how a flow goes or what it brings ("投诉一般多久有回复", "绑定房屋是不是必须业主本人")
                           r"|多久|几天|一般(要|都|会|怎么)|会不会|必须|有啥用|有什么用|有用吗|真的假的"
                           r"|(小区|附近)里?有没有"  # what the community offers ("小区有没有地方")
                           r"|(干嘛|干啥|干什么|做什么|有什么)用|不绑|(办|管|负责|组织|搞)的还是"
                           r"|(我|我们)是(租|租房|租客|租户)"  # "我是租房子的 能绑定吗": who may
                           r"|要[^\s，,]{1,3}吗|(要|需要|得)带"  # "遛狗要拴绳吗", "要带房产证吗"
                           r"|(是不是|要不要)(得|要|必须)?先|得先|要先"  # "报名活动是不是得先绑定房子"
                           # who else may: "租客也能绑定吗", "保姆可以报名吗"
                           r"|(租客|租户|房客|家人|家属|子女|老人|孩子|保姆|别人)(也)?(能|可以|可不可以|能不能)")
CONTACT_REQUEST = re.compile(r"(电话|号码|联系方式|手机号)\S{0,3}(发|给|告诉)(我|一下)"
                             r"|(发|给|告诉)我.{0,8}(电话|号码|联系方式)"
                             r"|(报修|投诉|物业|客服|值班|管家|保安|前台)的?(电话|热线|号码)(是)?(多少|几)")
INSTRUCTION = re.compile(r"^(你们?)?(别|不要|不用|甭)(再)?(给我)?(推|发|提醒|打扰|通知|群发)"
                         r"|(别|不要|甭)(再|老|总|老是|总是|天天|每次)?(给我)?(推|发|群发)"
                         r"|帮我记(一下|着|住)|记得提醒|到时候提醒|下(回|次).{0,4}(报修|投诉)的时候"
                         r"|(就|只)是(问问|问一下|想问)|我就(问问|问一下|想问)|随便问问|别一.{0,6}就"
                         r"|(跟|替|给|向).{0,8}(师傅|保安|保洁|管家|阿姨).{0,4}(说声|说一声|带个话|转达)?(谢谢|感谢)"
                         r"|(替|帮|代)我(谢谢|感谢|夸夸|表扬)|表扬(一下)?(你们|那个|师傅|保安|保洁|管家)|夸夸|锦旗|感谢信|修得(很|挺|真|特别)?(快|好|及时)"
                         r"|以后我(一|只要)?(说|发|打)|以后(你|您)(回|别|不要|少|能不能)"
                         r"|(不用|不需要|不必)(再)?(报修|修了|来了|上门)|自己(能|会)?(弄|修|搞)(好|得好)"
                         r"|(不要|别|不用|甭|没想)(去|再)?投诉"  # "保洁阿姨人挺好的 不要投诉她哈"
                         r"|自己(换|修|弄|搞|处理)(一下)?(个|就)?(就行|行|可以|好)"  # "灯泡坏了我自己换就行了是吧"
                         r"|以后.{0,10}(早点|提前|早些)|别(当天|临时).{0,6}(才|再)?(说|通知|发)"
                         r"|(已经|都)?修好了.{0,6}(谢|师傅)|师傅(人)?(挺|很|真|特别)(好|不错|负责|耐心|专业)")
# Who may see a list, or who may join it ("我的报修记录别人能看到吗", "合唱团是不是只收60岁以上的"): a question about
# the rules of a list, for the FAQ, never the list itself.
ABOUT_A_LIST = re.compile(r"(别人|其他人|邻居|外人|物业的人|谁)(都)?(能|会|可以)(看到|看见|知道|查到|看)"
                          r"|只(收|限|要|让)|\d+岁(以上|以下)|多大(岁数|年纪)|年龄")
PERSON_QUESTION = re.compile(r"(师傅|保安|保洁|阿姨|经理|管家|客服|前台|物业的人|工作人员).{0,3}"
                             r"(是谁|叫什么|叫啥|姓什么|姓啥|在哪|几点|什么时候(上班|在)|电话)")
# "你们的师傅是外包的还是物业自己的人", "王师傅今天上班没有": about the staff, whatever its form.
# "我家隔壁那户到底有没有人住啊": about one neighbour's household, for a person to look into, not a complaint to file.
NEIGHBOUR_QUESTION = re.compile(r"(隔壁|楼上|楼下|对门|对面)(那户|那家|邻居|人家|单元那家).{0,10}"
                                r"(到底|是不是|有没有人|住没住|干什么|做什么|是谁)")
STAFF_QUESTION = re.compile(r"(师傅|保安|保洁|管家|工作人员)(是|都是)(外包|哪|谁|自己|正式|物业)"
                            r"|(师傅|保安|保洁|经理|管家|客服|前台)\S{0,4}(上班|在班|值班|在不在|在没在)")
# "你们能帮我调一下监控不", "帮我查查监控": what only staff can do; the FAQ path says so and offers a person.
STAFF_TASK = re.compile(r"(调|查|看|翻)(一下|下|一|查|看)*(监控|录像)")
_FAQ_SPEC = IntentSpec(name=FAQ, description="询问小区的规定、收费标准、办事方法等常见问题", examples=FAQ_EXAMPLES)


# "卷帘门卡起了 车子开不出去 啥子情况哦", "电梯又坏了 搞什么呢": exasperation, not a question (怎么回事 asks: "我家被
# 楼下投诉了说我家漏水 咋回事").
RHETORICAL = re.compile(r"(?<!是)(啥子?|什么)(情况|鬼|玩意)[啊呀哦嘛呢吗]*|搞(啥|什么)(呢|嘛)?|像话吗"
                        r"|还让不让人活|谁(弄|搞|干|整|砸|踢)(坏)?的[啊呀吧]*"  # "玻璃门破了 谁弄的啊"
                        # "还让不让人睡", "你们到底管不管", "后面还来不来": exasperation in a question's form
                        r"|(还|到底|究竟)(让不让|管不管|来不来|修不修)(人)?")
# "地库的栏杆是不是坏了", "正门那个栏杆怎么一直不抬", "电梯响声好大 是不是要出事": a fault reported in a question's
# words (the owner is not asking the FAQ whether it broke; they are telling us it did).
FAULT_QUESTION = re.compile(r"是不是(又|也|都)?(坏|出(了)?(问题|毛病|故障)|有(问题|毛病|故障)|停(电|水)了|漏|堵|卡住"
                            r"|要出事)|(会不会|是不是)(要)?出事"
                            r"|怎么(一直|老是|总是|又|还|都)(不|没)(抬|亮|动|转|开|关|出水|来水|热|走|好使"
                            r"|反应|工作|停)")


def signals(text: str, intents: list[IntentSpec]) -> tuple[set[str], bool, bool]:
    """(intents whose keyword evidence the normalised text holds, is it a how-to question, is it a request)."""
    matched = {spec.name for spec in intents
               if spec.keywords and re.search(spec.keywords, text)
               and not (spec.excludes and re.search(spec.excludes, text))}
    for spec in intents:
        if spec.name in matched:
            matched -= set(spec.supersedes)
    asks = QUESTION_FORM.search(FAULT_QUESTION.sub("", RHETORICAL.sub("", text)))
    asked = re.sub(A_NOT_A + "了", lambda m: m.group(0)[:-1], text)  # "以后还开不开了" asks; it requests nothing
    return matched, bool(asks), bool(REQUEST_FORM.search(asked))


def signal_row(matched: set[str], is_question: bool, is_request: bool, names: list[str]) -> np.ndarray:
    """The signals as the regression's 0/1 features (one per intent's keywords, then question, request)."""
    return np.array([name in matched for name in names] + [is_question, is_request], dtype=np.float64)


class _Fitted:
    """Everything derived from one set of specs: the example vectors per intent and the regression."""

    def __init__(self, specs: list[IntentSpec], vectors: dict[str, np.ndarray]) -> None:
        self.specs = specs
        self.names = [spec.name for spec in specs]
        self.matrices = {spec.name: np.stack([vectors[t] for t in dict.fromkeys(spec.examples)])
                         for spec in specs if spec.examples}
        labelled = [(spec.name, text) for spec in specs for text in dict.fromkeys(spec.examples)]
        self.model: SoftmaxIntents | None = None
        if len({name for name, _ in labelled}) >= 2:
            self.model = SoftmaxIntents.fit(
                np.stack([vectors[text] for _, text in labelled]),
                np.stack([signal_row(*signals(normalize(text), specs), self.names) for _, text in labelled]),
                [name for name, _ in labelled])


class OfflineIntentClassifier:
    """k-nearest examples by embedding, plus keyword and sentence-form nudges and a regression."""

    def __init__(self, embedder: Embedder, *, store: Any = None) -> None:
        self.embedder = embedder
        self.store = store  # the examples' vectors are kept in Chroma too
        self._fitted: dict[str, _Fitted] = {}
        self._by_ids: dict[tuple[int, ...], tuple[list[IntentSpec], _Fitted]] = {}  # keeps the specs, so ids stay
        self._lock = threading.Lock()

    @staticmethod
    def _candidates(intents: list[IntentSpec]) -> list[IntentSpec]:
        specs = [spec for spec in intents if spec.name != FAQ]
        return [*specs, _FAQ_SPEC]

    def prepare(self, intents: list[IntentSpec]) -> _Fitted:
        """Embed the specs' examples (read back from Chroma when kept) and fit the regression, once per set."""
        specs = self._candidates(intents)
        ids = tuple(map(id, intents))
        known = self._by_ids.get(ids)  # the same spec objects as last time: no need to hash 1,000+ examples again
        if known is not None:
            return known[1]
        key = hashlib.sha256(repr([(s.name, tuple(s.examples), s.keywords, s.excludes, s.supersedes, s.decisive)
                                   for s in specs]).encode()).hexdigest()
        with self._lock:
            fitted = self._fitted.get(key)
            if fitted is None:
                texts = list(dict.fromkeys(t for spec in specs for t in spec.examples))
                matrix = ExampleVectors("intents", texts, self.embedder, store=self.store).matrix()
                fitted = _Fitted(specs, dict(zip(texts, matrix, strict=True)))
                self._fitted[key] = fitted
            if len(self._by_ids) >= 32:  # callers that build a new list each time: keep the map small
                self._by_ids.clear()
            self._by_ids[ids] = (list(intents), fitted)
            return fitted

    def _scores(self, text: str, fitted: _Fitted, signalled: tuple[set[str], bool, bool]
                ) -> tuple[dict[str, float], dict[str, float]]:
        """(nearest, combined) per candidate. nearest: mean of the two nearest examples' similarities, nudged by
        keywords and the sentence's form; combined: nearest + MODEL_WEIGHT × log P(intent) from the regression."""
        text = normalize(truncate(text))
        query = self.embedder.queries([query_form(text)])[0]  # the same text the FAQ search embeds
        matched, is_question, is_request = signalled
        nearest: dict[str, float] = {}
        for spec in fitted.specs:
            matrix = fitted.matrices.get(spec.name)
            if matrix is None:
                continue
            sims = np.sort(matrix @ query)[::-1]
            score = float(sims[:2].mean()) if len(sims) > 1 else float(sims[0])
            if spec.name in matched:
                score += KEYWORD_BONUS
            elif spec.explicit_only:
                score -= EXPLICIT_ONLY_PENALTY
            if spec.name == FAQ:
                score += 0.03 if is_question else 0.0
                score -= 0.02 if is_request else 0.0
            elif is_question and not is_request and not spec.lookup:
                score -= 0.02
            nearest[spec.name] = score
        if fitted.model is None:
            return nearest, dict(nearest)
        log_probs = fitted.model.log_probabilities(query, signal_row(matched, is_question, is_request, fitted.names))
        unknown = -float(np.log(len(log_probs)))
        combined = {name: score + MODEL_WEIGHT * log_probs.get(name, unknown) for name, score in nearest.items()}
        return nearest, combined

    def classify(self, text: str, intents: list[IntentSpec]) -> IntentGuess:
        """The best intent with a confidence; "faq" (or None if the bot passed no faq) when unsure."""
        if not text.strip():
            return IntentGuess(intent=None, confidence=0.0)
        faq_name = FAQ if any(s.name == FAQ for s in intents) else None
        if small_talk_reply(text) is not None:  # "谢谢啊", "好的知道了": no dialog; the answerer replies kindly
            return IntentGuess(intent=faq_name, confidence=1.0)
        fitted = self.prepare(intents)
        word = normalize(truncate(text))
        matched, is_question, is_request = signalled = signals(word, fitted.specs)
        nearest, scores = self._scores(text, fitted, signalled)
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        best, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else best_score - 0.1
        # The margin over the runner-up separates a sure guess from a coin toss; the nearest examples' similarity
        # says whether the message resembles any example at all. The scale puts the acceptance point at 0.6, the
        # bot's routing threshold.
        confidence = float(np.clip(0.6 + (best_score - runner_up) * 4 + (nearest[best] - 0.92) * 4, 0.0, 1.0))
        spec = next((s for s in intents if s.name == best), None)
        if spec is not None and is_question and not is_request and not spec.lookup and best not in matched:
            best = FAQ  # a question with no word of a dialog's own is a question ("垃圾分几类啊" is no complaint)
        nearest_best = max(nearest, key=nearest.__getitem__)
        if best != FAQ and best not in matched and nearest_best != best:
            # The regression and the nearest examples disagree and nothing in the words speaks for the guess: the
            # nearest examples' reading when its words are there, else the FAQ (a wrong start costs the owner more).
            best = nearest_best if nearest_best in matched else FAQ
            spec = next((s for s in intents if s.name == best), None)
        if best != FAQ and spec is not None and _asks_no_dialog(word, is_question, is_request,
                                                                 lookup=spec.lookup and best in matched):
            best = FAQ
        decided = _decisive(word, fitted.specs, matched, is_question, is_request)
        if decided is not None:
            best, confidence = decided.name, max(confidence, 0.75)
            spec = next((s for s in intents if s.name == best), None)
        if best == FAQ or confidence < MIN_CONFIDENCE:
            return IntentGuess(intent=faq_name, confidence=confidence if best == FAQ else 1 - confidence)
        return IntentGuess(intent=best, confidence=confidence, slots=extract_slots(text, spec))


def _decisive(text: str, specs: list[IntentSpec], matched: set[str], is_question: bool,
              is_request: bool) -> IntentSpec | None:
    """The one intent whose decisive words the message holds, when nothing else speaks against it."""
    if is_question and not is_request:
        return None
    found = [s for s in specs if s.decisive and re.search(s.decisive, text)
             and not (s.excludes and re.search(s.excludes, text))]
    if len(found) != 1 or matched - {found[0].name} or _asks_no_dialog(text, is_question, is_request, lookup=False):
        return None
    return found[0]


def _asks_no_dialog(text: str, is_question: bool, is_request: bool, *, lookup: bool) -> bool:
    """A rule or fee question, a request for a number, an instruction to the bot or a question about staff."""
    if INSTRUCTION.search(text) or STAFF_TASK.search(text):  # "以后别给我推送公告了": whatever dialog it names
        return True
    if is_question and ABOUT_A_LIST.search(text):  # "我的报修记录别人能看到吗": even of a list the owner may see
        return True
    if lookup:  # "我的报修进度怎么样了": asking about it is asking for it
        return False
    return bool((is_question and not is_request and RULE_QUESTION.search(text)) or CONTACT_REQUEST.search(text)
                or (is_question and (PERSON_QUESTION.search(text) or NEIGHBOUR_QUESTION.search(text)))
                or STAFF_QUESTION.search(text))


# --- slots from free text ("明天下午三点朋友来，车牌沪A12345") ---

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"  # the first character of a plate
PLATE = re.compile(r"[" + PROVINCES + r"][A-Z][·\s]?[A-Z0-9]{5,6}")
DATE = re.compile(r"(今天|明天|后天|大后天|今晚|明晚|(下|这|本)?(周|星期|礼拜)[一二三四五六日天]"
                  r"|\d{1,2}月\d{1,2}[日号]|\d{1,2}[日号])")
_PART_OF_DAY = r"(上午|下午|晚上|中午|早上|傍晚)"
TIME = re.compile(r"(" + _PART_OF_DAY + r"?\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(点|:|：)\s*(半|\d{1,2}分?)?)"
                  r"|(?<![一整半两])" + _PART_OF_DAY)  # "滴了一晚上" says how long, not when
PHONE = MOBILE
SLOT_KINDS = {
    "plate": ("plate", "车牌"), "date": ("date", "日期", "哪天", "day"), "time": ("time", "时间", "几点", "hour"),
    "phone": ("phone", "mobile", "电话", "手机"),
}


def extract_slots(text: str, spec: IntentSpec) -> dict[str, str]:
    """Values for the spec's slots that free text states plainly (plate, date, time, phone), as the owner wrote them;
    the bot validates them with the slot parsers like any owner input."""
    upper = normalize(text).upper()
    found: dict[str, str] = {}
    if match := PLATE.search(upper):
        found["plate"] = re.sub(r"[·\s]", "", match.group(0))
    if match := DATE.search(text):
        found["date"] = match.group(0)
    if match := TIME.search(text.replace(found.get("date", "\0"), " ")):
        found["time"] = match.group(0).strip()
    if match := PHONE.search(upper):
        found["phone"] = match.group(0)
    slots: dict[str, str] = {}
    for slot_name, description in spec.slots:
        label = f"{slot_name} {description}".lower()
        for kind, words in SLOT_KINDS.items():
            if kind in found and any(word in label for word in words) and slot_name not in slots:
                slots[slot_name] = found[kind]
                break
    return slots
