"""`linli kb eval-communities`: a blind community's files go through the real importer (its 相似问法 sheet as
.xlsx), every expected row or section resolves to the entries the importer made, and thresholds are chosen from
training communities only."""

from __future__ import annotations

import json

import pytest

from knowledge.evaluation import COMMUNITIES, load_communities, load_community, thresholds

DOC = "# 停车办法\n\n## 第一条 月卡\n\n月卡每月三百元。在物业前台办理。\n\n## 第二条 临停\n\n临停每小时五元。\n"


def write_community(folder, questions):
    folder.mkdir()
    (folder / "faq_alt.csv").write_text("问题,相似问法,答案,分类\n物业费多少钱,物业费咋收|管理费多少,每月每平两元。,"
                                        "收费\n快递放哪里,快递在哪拿,南门快递柜。,生活\n", encoding="utf-8")
    (folder / "停车办法.md").write_text(DOC, encoding="utf-8")
    (folder / "community.json").write_text(json.dumps({"code": "test", "name": "测试苑", "company": "测试物业",
                                                       "shape": "mix", "files": ["faq_alt.csv", "停车办法.md"]}),
                                           encoding="utf-8")
    (folder / "questions.jsonl").write_text("\n".join(json.dumps({"q": q, "expect": e}, ensure_ascii=False)
                                                      for q, e in questions), encoding="utf-8")


def test_rows_and_sections_resolve_to_the_imported_entries(tmp_path):
    write_community(tmp_path / "test", [("物业费一平多少", "faq_alt:1"), ("快递去哪拿", "faq_alt:2"),
                                        ("临时停车怎么收费", "doc:停车办法.md#第二条 临停"), ("明天下雨吗", None)])
    community = load_community(tmp_path / "test", 3, tmp_path)
    by_id = {e.id: e for e in community.entries}
    assert [e.alternatives for e in community.entries[:2]] == [("物业费咋收", "管理费多少"), ("快递在哪拿",)]
    fee, parcel, parking, weather = (right for _, right in community.questions)
    assert [by_id[i].question for i in fee] == ["物业费多少钱"]
    assert [by_id[i].question for i in parcel] == ["快递放哪里"]
    assert {by_id[i].category for i in parking} == {"第二条 临停"} and weather == frozenset()
    assert all(e.community_id == 3 for e in community.entries)


def test_an_expectation_naming_no_row_or_section_is_refused(tmp_path):
    write_community(tmp_path / "test", [("停车", "doc:停车办法.md#第九条 没有这一条")])
    with pytest.raises(ValueError, match="第九条"):
        load_community(tmp_path / "test", 1, tmp_path)


def test_the_committed_blind_communities_all_load():
    communities = load_communities(COMMUNITIES)
    assert len(communities) >= 4
    for community in communities:
        assert sum(1 for _, right in community.questions if right) >= 100
        assert sum(1 for _, right in community.questions if not right) >= 30


def test_thresholds_refuse_the_out_of_scope_share_and_answer_at_the_wanted_precision():
    # (in scope?, top right?, score)
    tops = [(False, False, s / 10) for s in range(10)] + [(True, True, 0.95), (True, True, 0.92),
                                                          (True, False, 0.91), (True, True, 0.5)]
    answer_at, choices_at = thresholds(tops, refuse=0.9, precision=0.75)
    assert choices_at == pytest.approx(0.8, abs=1e-6)
    assert answer_at == pytest.approx(0.92)  # from 0.91 down, only half of the answers would be right
