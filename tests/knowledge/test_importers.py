"""Parsing knowledge files: FAQ tables, Chinese documents, and the per-row report for bad files."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from knowledge.importers import CHUNK_CHARS, chunk_chinese, parse_file


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_with_chinese_headers_gives_questions_answers_categories_and_alternatives(tmp_path):
    path = write(tmp_path, "guide.csv",
                 "问题,答案,分类,相似问法\n物业费怎么交？,到前台交。,缴费,管理费在哪交|物业费能微信交吗\n")
    parsed = parse_file(path, title="物业服务指南")
    assert parsed.ok
    [draft] = parsed.drafts
    assert (draft.question, draft.answer, draft.category) == ("物业费怎么交？", "到前台交。", "缴费")
    assert draft.alternatives == ("管理费在哪交", "物业费能微信交吗")
    assert draft.citation == "物业服务指南·缴费"


def test_csv_saved_by_excel_in_gbk_is_read(tmp_path):
    path = write(tmp_path, "faq.csv", "问题,答案\n快递放哪？,南门快递柜。\n", encoding="gbk")
    assert [d.question for d in parse_file(path).drafts] == ["快递放哪？"]


def test_xlsx_rows_are_imported(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["question", "answer", "category", "alternatives"])
    sheet.append(["门禁卡丢了怎么办？", "带身份证到前台补办，20 元。", "门禁", "门卡掉了"])
    sheet.append([None, None, None, None])
    sheet.append(["可以养狗吗？", "可以，出门牵绳。", None, None])
    path = tmp_path / "faq.xlsx"
    workbook.save(path)
    parsed = parse_file(path, title="指南")
    assert parsed.ok
    assert [(d.question, d.citation) for d in parsed.drafts] == [("门禁卡丢了怎么办？", "指南·门禁"),
                                                                 ("可以养狗吗？", "指南")]


def test_markdown_is_cut_by_headings_into_sentence_bounded_chunks(tmp_path):
    long_body = "".join(f"第{i}句规定的内容写在这里，说明得比较详细一些。" for i in range(1, 30))
    text = f"# 停车管理办法\n\n## 第一条 适用范围\n本办法适用于全体车辆。\n\n## 第二条 收费\n{long_body}\n"
    parsed = parse_file(write(tmp_path, "parking.md", text))
    assert parsed.ok and parsed.title == "停车管理办法"
    first, *rest = parsed.drafts
    assert (first.question, first.answer, first.citation) == ("停车管理办法 第一条 适用范围", "本办法适用于全体车辆。",
                                                              "停车管理办法·第一条 适用范围")
    assert len(rest) >= 3 and all(d.kind == "doc" for d in rest)
    assert all(len(d.answer) <= CHUNK_CHARS for d in rest)
    assert all(d.answer.endswith("。") for d in rest)  # never cut inside a sentence
    assert rest[0].question == "停车管理办法 第二条 收费（1）"


def test_owners_phrasings_under_a_heading_belong_to_that_section_and_stay_out_of_the_text(tmp_path):
    text = ("# 管理规约\n\n## 第一章 总则\n<!-- 相似问法：规约管租户吗|租客也要遵守吗 -->\n大家共同遵守。\n\n"
            "## 第二章 禁止行为\n禁止高空抛物。\n相似问法：能往楼下扔东西吗\n")
    parsed = parse_file(write(tmp_path, "rules.md", text))
    assert [(d.category, d.answer, d.alternatives) for d in parsed.drafts] == [
        ("第一章 总则", "大家共同遵守。", ("规约管租户吗", "租客也要遵守吗")),
        ("第二章 禁止行为", "禁止高空抛物。", ("能往楼下扔东西吗",))]


def test_plain_text_articles_become_sections(tmp_path):
    text = "小区管理规定\n第一条 总则\n大家共同遵守。\n第二条 宠物\n出门牵绳，及时清理粪便。\n"
    parsed = parse_file(write(tmp_path, "rules.txt", text), title="管理规定")
    assert [(d.category, d.answer) for d in parsed.drafts] == [
        ("", "小区管理规定"), ("第一条 总则", "大家共同遵守。"), ("第二条 宠物", "出门牵绳，及时清理粪便。")]


def test_a_single_overlong_sentence_is_still_cut():
    assert all(len(chunk) <= 50 for chunk in chunk_chinese("很" * 180, limit=50))


def test_empty_file_is_refused_with_a_reason(tmp_path):
    parsed = parse_file(write(tmp_path, "empty.csv", ""))
    assert not parsed.ok and parsed.problems == ["文件里没有可导入的内容"]


def test_missing_answer_column_is_reported_on_the_header(tmp_path):
    parsed = parse_file(write(tmp_path, "bad.csv", "问题,备注\n物业费怎么交？,无\n"))
    assert not parsed.ok
    assert parsed.problems[0].startswith("第 1 行（表头）：缺少“答案”列")


def test_every_bad_row_is_reported_and_nothing_is_kept_importable(tmp_path):
    text = ("问题,答案\n物业费怎么交？,到前台交。\n,没有问题的答案\n快递放哪？,\n物业费怎么交？,重复了\n"
            + "长" * 300 + ",答\n")
    parsed = parse_file(write(tmp_path, "rows.csv", text))
    assert not parsed.ok
    assert parsed.problems == ["第 3 行：缺少问题", "第 4 行：缺少答案", "第 5 行：和第 2 行的问题重复",
                               "第 6 行：问题太长（300 字，最多 200 字）"]


def test_binary_or_unknown_files_are_refused(tmp_path):
    assert not parse_file(write(tmp_path, "x.pdf", "%PDF-1.4")).ok
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    parsed = parse_file(broken)
    assert not parsed.ok and parsed.problems[0].startswith("文件读不出来")
