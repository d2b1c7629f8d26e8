"""`linli bills generate`: a progress bar, a summary, and a second run that adds nothing."""

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from linli.cli import app


def _env(monkeypatch, settings):
    monkeypatch.setenv("LINLI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LINLI_MEDIA_DIR", settings.media_dir)
    monkeypatch.setenv("LINLI_CHROMA_PATH", settings.chroma_path)


def _bills(settings, period):
    engine = create_engine(settings.database_url.replace("+aiosqlite", ""))
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM bills WHERE period = :p"), {"p": period}).scalar()
    engine.dispose()
    return count


def test_bills_generate_is_idempotent(settings, monkeypatch):
    _env(monkeypatch, settings)
    runner = CliRunner()
    first = runner.invoke(app, ["bills", "generate", "--period", "2027-01", "--community", "YGHY"])
    assert first.exit_code == 0, first.output
    assert "阳光花园" in first.output and "生成账单" in first.output
    created = _bills(settings, "2027-01")
    assert created > 0
    second = runner.invoke(app, ["bills", "generate", "--period", "2027-01"])
    assert second.exit_code == 0, second.output
    assert "翠湖苑" in second.output
    both = _bills(settings, "2027-01")
    assert both > created  # 翠湖苑's lines, and 阳光花园's once
    third = runner.invoke(app, ["bills", "generate", "--period", "2027-01"])
    assert third.exit_code == 0 and _bills(settings, "2027-01") == both


def test_bills_generate_refuses_a_bad_period_or_community(settings, monkeypatch):
    _env(monkeypatch, settings)
    runner = CliRunner()
    assert runner.invoke(app, ["bills", "generate", "--period", "2026-13"]).exit_code != 0
    assert runner.invoke(app, ["bills", "generate", "--period", "2027-01", "--community", "NOPE"]).exit_code != 0
    assert _bills(settings, "2027-01") == 0
