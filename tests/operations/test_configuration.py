"""One settings model: generated docs up to date, one-line errors, paths from the project."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.cli.config import render_docs, render_example
from adapters.settings import PROJECT_ROOT, Settings, SettingsError
from api.graphql.services import ApiSettings
from workers.config import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
HOW = "regenerate with `infoshkola config docs > docs/CONFIGURATION.md` and `config example`"


def test_configuration_docs_and_env_example_are_generated_from_the_model() -> None:
    assert (ROOT / "docs" / "CONFIGURATION.md").read_text() == render_docs(), HOW
    assert (ROOT / ".env.example").read_text() == render_example(), HOW
    for field in Settings.model_fields.values():
        assert f"`{field.alias}`" in render_docs()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OFFLINE_CAP": "abc"}, "OFFLINE_CAP='abc'"),
        ({"OFFLINE_CAP": "-5"}, "OFFLINE_CAP='-5'"),
        ({"INFOSHKOLA_CLOCK": "fixed:tomorrow"}, "INFOSHKOLA_CLOCK"),
        ({"COMMISSION_RATES": "bank_card=1.5"}, "COMMISSION_RATES"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"API_PORT": "70000"}, "API_PORT"),
        ({"INFOSHKOLA_MODE": "debug"}, "INFOSHKOLA_MODE"),
    ],
)
def test_a_bad_value_is_refused_with_one_line_naming_it(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_secret_is_never_echoed_in_the_error() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"JWT_SECRET": "x" * 10, "WORKERS_WEBHOOK_PORT": "no"})
    assert "x" * 10 not in str(refused.value)


def test_the_process_settings_feed_the_api_and_the_workers() -> None:
    env = {"API_GRAPHQL_THREADS": "3", "INFOSHKOLA_MODE": "development", "WORKERS_NAMESPACE": "n"}
    assert ApiSettings.from_env(env).graphql_threads == 3
    assert ApiSettings.from_env(env).development
    assert WorkerSettings.from_env(env).namespace == "n"
    assert WorkerSettings.from_env({"WORKERS_WEBHOOK_PORT": "9999"}).webhook_public_url == (
        "http://127.0.0.1:9999/acquiring/webhook"
    )


def test_the_data_directory_is_resolved_from_the_project_not_the_working_directory(
    tmp_path: Path,
) -> None:
    assert Settings.from_env({}).var_dir == PROJECT_ROOT / "var"
    assert Settings.from_env({"INFOSHKOLA_VAR": "data"}).var_dir == PROJECT_ROOT / "data"
    assert Settings.from_env({"INFOSHKOLA_VAR": str(tmp_path)}).var_dir == tmp_path
    env = {k: v for k, v in os.environ.items() if k != "INFOSHKOLA_VAR"}
    env["PYTHONPATH"] = str(ROOT)
    shown = subprocess.run(
        [sys.executable, "-m", "adapters.cli.main", "config", "check", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f'"INFOSHKOLA_VAR": "{ROOT / "var"}"' in shown.stdout


def test_the_cli_stops_on_a_bad_setting_with_one_line_and_no_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OFFLINE_CAP": "abc"}
    ran = subprocess.run(
        [sys.executable, "-m", "adapters.cli.main", "account", "show", "--contract", "DEMO-0005"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [
        "infoshkola: setting OFFLINE_CAP='abc': Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
