"""Inline SVG charts: honest empty and 暂未开通 states, values on bars, gaps stay gaps, labels escaped."""

from __future__ import annotations

from backoffice.dashboard.charts import bar_chart, line_chart, nice_top
from workflows.analytics.queries import Series


def test_an_empty_series_says_no_data_and_an_unbuilt_module_says_not_yet_available():
    assert "暂无数据" in bar_chart(Series("报修类别", ["水电"], [None]))
    assert "暂未开通" in bar_chart(Series("缴费率", available=False))
    assert "<rect" not in line_chart(Series("满意度", ["11月"], [0.0]))


def test_bars_carry_their_values_and_labels_are_escaped():
    svg = str(bar_chart(Series("报修类别", ["水电", "<门窗>"], [12.0, 3.0], "单")))
    assert svg.startswith("<svg") and svg.count("<rect") == 2
    assert ">12<" in svg and ">3<" in svg and "&lt;门窗&gt;" in svg and "<门窗>" not in svg


def test_a_day_without_data_breaks_the_line_instead_of_dropping_to_zero():
    svg = str(line_chart(Series("首次响应", ["1", "2", "3", "4", "5"], [5.0, 6.0, None, 4.0, 3.0], "分钟")))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4


def test_the_axis_top_is_a_round_number():
    assert [nice_top(x) for x in (0.11, 3, 92.3, 17, 0)] == [0.2, 4, 100, 20, 1.0]
