"""Every setting is documented in .env.example, and the file's values are the embedded defaults."""

from pathlib import Path

from workflows.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def _documented() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#"))
    return {key.removeprefix("LINLI_").lower(): value for key, value in pairs}


def test_every_setting_is_in_env_example():
    assert set(_documented()) == set(Settings.model_fields)


def test_env_example_holds_the_embedded_defaults(tmp_path):
    from_file = Settings(_env_file=ENV_EXAMPLE)
    assert from_file.model_dump() == Settings(_env_file=None).model_dump()
