"""`linli repairs categories` changes where a community's categories go; `report` prints the month's figures."""

from __future__ import annotations

from typer.testing import CliRunner

from linli.cli import app


def test_categories_can_be_replaced_per_community_and_the_report_prints(settings, monkeypatch):
    monkeypatch.setenv("LINLI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LINLI_MEDIA_DIR", settings.media_dir)
    monkeypatch.setenv("LINLI_CHROMA_PATH", settings.chroma_path)
    runner = CliRunner()
    changed = runner.invoke(app, ["repairs", "categories", "YGHY", "--set", "水电:水电:12,屋顶漏水:水电:6,其他"])
    assert changed.exit_code == 0, changed.output
    assert "屋顶漏水" in changed.output and "门窗" not in changed.output
    other = runner.invoke(app, ["repairs", "categories", "CHY"])
    assert "门窗" in other.output  # untouched: the defaults
    bad = runner.invoke(app, ["repairs", "categories", "YGHY", "--set", "水电:水电:很快"])
    assert bad.exit_code != 0
    report = runner.invoke(app, ["repairs", "report", "--month", "2026-11", "--community", "YGHY"])
    assert report.exit_code == 0 and "重复率" in report.output
