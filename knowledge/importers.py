"""Parsing knowledge files into drafts: FAQ tables (CSV, XLSX) and documents (Markdown, plain text) chunked for
Chinese. Parsing only: a file with any problem yields the full per-row report, and the caller imports nothing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_QUESTION = 200
MAX_ANSWER = 2000
CHUNK_CHARS = 320  # a chunk is a few sentences: small enough to be specific, big enough to stand alone

HEADERS = {
    "question": ("question", "问题", "标准问题", "问"),
    "answer": ("answer", "答案", "回答", "答"),
    "category": ("category", "分类", "类别", "栏目"),
    "alternatives": ("alternatives", "相似问法", "其他问法", "相似问题", "同义问法"),
}


@dataclass(frozen=True)
class Draft:
    question: str
    answer: str
    category: str = ""
    alternatives: tuple[str, ...] = ()
    citation: str = ""
    kind: str = "faq"  # faq | doc


@dataclass
class ParsedFile:
    source: str  # the file name: entries of the same source are replaced on re-import
    title: str  # shown in citations: 「依据：物业服务指南·缴费」
    drafts: list[Draft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "第 3 行：缺少答案" — any problem means nothing is imported

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.drafts)


def parse_file(path: str | Path, *, title: str | None = None) -> ParsedFile:
    """Parse a .csv / .xlsx / .md / .txt knowledge file."""
    path = Path(path)
    parsed = ParsedFile(source=path.name, title=title or path.stem)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            _table(parsed, _csv_rows(path.read_bytes()))
        elif suffix in (".xlsx", ".xlsm"):
            _table(parsed, _xlsx_rows(path))
        elif suffix in (".md", ".markdown", ".txt"):
            _document(parsed, _decode(path.read_bytes()), markdown=suffix != ".txt", title=title)
        else:
            parsed.problems.append(f"不支持的文件类型 {suffix or '(无扩展名)'}：请用 .csv、.xlsx、.md 或 .txt")
    except (OSError, UnicodeError, ValueError, KeyError, csv.Error) as exc:
        parsed.problems.append(f"文件读不出来：{exc}")
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken workbook
        parsed.problems.append(f"文件读不出来（{type(exc).__name__}）：{exc}")
    if not parsed.drafts and not parsed.problems:
        parsed.problems.append("文件里没有可导入的内容")
    return parsed


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (Excel on Chinese Windows saves CSV that way)."""
    if b"\x00" in data[:2000]:
        raise ValueError("这不是文本文件")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_rows(data: bytes) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(_decode(data)))]


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _table(parsed: ParsedFile, rows: list[list[str]]) -> None:
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return
    header = [cell.strip().lower() for cell in rows[0]]
    columns: dict[str, int] = {}
    for key, names in HEADERS.items():
        for index, name in enumerate(header):
            if name in names:
                columns[key] = index
                break
    for key in ("question", "answer"):
        if key not in columns:
            parsed.problems.append(f"第 1 行（表头）：缺少“{HEADERS[key][1]}”列（可写 {' / '.join(HEADERS[key])}）")
    if parsed.problems:
        return
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        def cell(key: str, row: list[str] = row) -> str:
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        question, answer = cell("question"), cell("answer")
        problems = []
        if not question:
            problems.append("缺少问题")
        if not answer:
            problems.append("缺少答案")
        if len(question) > MAX_QUESTION:
            problems.append(f"问题太长（{len(question)} 字，最多 {MAX_QUESTION} 字）")
        if len(answer) > MAX_ANSWER:
            problems.append(f"答案太长（{len(answer)} 字，最多 {MAX_ANSWER} 字）")
        if question and question in seen:
            problems.append(f"和第 {seen[question]} 行的问题重复")
        if problems:
            parsed.problems.append(f"第 {number} 行：" + "；".join(problems))
            continue
        seen[question] = number
        category = cell("category")
        alternatives = tuple(a.strip() for a in re.split(r"[|｜\n;；]", cell("alternatives")) if a.strip())
        citation = f"{parsed.title}·{category}" if category else parsed.title
        parsed.drafts.append(Draft(question=question, answer=answer, category=category, alternatives=alternatives,
                                   citation=citation))


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ARTICLE = re.compile(r"^\s*(第[一二三四五六七八九十百零〇\d]+[条章节]|[一二三四五六七八九十]+、)\s*(.*)$")
# Owners' ways of asking about a section, written by staff under its heading; in Markdown as a comment so the
# document still reads as the regulation: <!-- 相似问法：能群租吗|住宅能开旅馆吗 -->. Not part of the chunk text.
_ALTERNATIVES = re.compile(r"^\s*(?:<!--\s*)?(?:相似问法|常见问法|其他问法)\s*[:：]\s*(.*?)\s*(?:-->)?\s*$")


def _document(parsed: ParsedFile, text: str, *, markdown: bool, title: str | None) -> None:
    """Sections by Markdown headings (or 第X条 / 一、 lines in plain text), each cut into sentence-bounded chunks."""
    lines = text.replace("\r\n", "\n").split("\n")
    sections: list[tuple[str, list[str]]] = []
    alternatives: dict[int, list[str]] = {}  # section number -> owners' phrasings
    doc_title = title
    current_title, current_lines = "", []
    for line in lines:
        if alternative := _ALTERNATIVES.match(line):
            alternatives.setdefault(len(sections), []).extend(
                a.strip() for a in re.split(r"[|｜;；]", alternative.group(1)) if a.strip())
            continue
        heading = _HEADING.match(line) if markdown else None
        if heading and len(heading.group(1)) == 1 and doc_title is None:
            doc_title = heading.group(2).strip()
            continue
        article = None if heading else _ARTICLE.match(line)
        if heading or (article and not markdown and len(line) < 40):
            if current_lines or current_title:
                sections.append((current_title, current_lines))
            current_title = heading.group(2).strip() if heading else line.strip()
            current_lines = []
        else:
            current_lines.append(line)
    sections.append((current_title, current_lines))
    parsed.title = doc_title or parsed.title
    for index, (section_title, body_lines) in enumerate(sections):
        section_alternatives = tuple(alternatives.get(index, ()))
        body = re.sub(r"\n{2,}", "\n", "\n".join(body_lines)).strip()
        if not body:
            continue
        name = section_title or parsed.title
        chunks = chunk_chinese(body)
        for number, chunk in enumerate(chunks, 1):
            suffix = f"（{number}）" if len(chunks) > 1 else ""
            question = f"{parsed.title} {section_title}{suffix}".strip() if section_title else parsed.title + suffix
            citation = f"{parsed.title}·{name}" if section_title else parsed.title
            parsed.drafts.append(Draft(question=question[:MAX_QUESTION], answer=chunk, category=section_title,
                                       alternatives=section_alternatives, citation=citation, kind="doc"))


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n")


def chunk_chinese(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Cut text into chunks of at most `limit` characters at sentence ends (。！？；), never inside a sentence unless
    one sentence alone is longer than the limit; the last sentence of a chunk starts the next for context."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    pieces: list[str] = []
    for sentence in sentences:
        while len(sentence) > limit:
            pieces.append(sentence[:limit])
            sentence = sentence[limit:]
        pieces.append(sentence)
    chunks: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and sum(map(len, current)) + len(piece) > limit:
            chunks.append("".join(current))
            overlap = current[-1] if len(current[-1]) + len(piece) <= limit // 2 else ""
            current = [overlap] if overlap else []
        current.append(piece)
    if current:
        chunks.append("".join(current))
    return chunks
