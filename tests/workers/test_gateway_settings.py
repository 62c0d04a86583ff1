"""A gateway setting that cannot work stops the sending process at start-up, with one line
naming it, instead of failing every send; the demo (`make run`) writes to files instead."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.gateways import GatewaySettingError
from adapters.mail import MailSender
from adapters.push import PushSender
from adapters.sms import SmsSender
from cli.up import demo_gateways
from identity.service import Identity
from tests.builders import new_school
from tests.workers.harness import Stack, wait_for
from workers.config import WorkerSettings

NO_SMS_TOKEN = (
    "SMS_GATEWAY_TOKEN is empty: the gateway at https://sms.example.org needs its bearer token"
)
GOOD = {
    "SMS_GATEWAY_URL": "https://sms.example.org",
    "SMS_GATEWAY_TOKEN": "sms-secret",
    "PUSH_GATEWAY_URL": "https://push.example.org/",
    "PUSH_GATEWAY_TOKEN": "push-secret",
    "SMTP_URL": "smtp://mailer:pw@mail.example.org:587",
    "MAIL_FROM": "noreply@example.org",
}


def test_complete_settings_and_the_demos_files_have_no_problem() -> None:
    assert WorkerSettings.from_env(GOOD).gateway_problems() == []
    files = {"SMS_GATEWAY_URL": "file:var/outbox/sms.jsonl", "PUSH_GATEWAY_URL": "file:/tmp/p"}
    assert (
        WorkerSettings.from_env({**GOOD, **files, "SMS_GATEWAY_TOKEN": ""}).gateway_problems() == []
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"SMS_GATEWAY_TOKEN": ""}, NO_SMS_TOKEN),
        ({"SMS_GATEWAY_TOKEN": "   "}, NO_SMS_TOKEN),
        ({"SMS_GATEWAY_TOKEN": "two words"},
         "SMS_GATEWAY_TOKEN holds spaces or control characters"),
        ({"SMS_GATEWAY_URL": ""},
         "SMS_GATEWAY_URL is not set (an http(s):// gateway, or file:<path> for the demo)"),
        ({"SMS_GATEWAY_URL": "sms.example.org"},
         "SMS_GATEWAY_URL='sms.example.org' is not an http(s):// URL or file:<path>"),
        ({"SMS_GATEWAY_URL": "file:"}, "SMS_GATEWAY_URL='file:' names no file"),
        ({"PUSH_GATEWAY_TOKEN": ""},
         "PUSH_GATEWAY_TOKEN is empty: the gateway at https://push.example.org/ needs its bearer "
         "token"),
        ({"SMTP_URL": "http://mail.example.org"},
         "SMTP_URL is not smtp://[user:password@]host[:port]"),
        ({"MAIL_FROM": ""}, "MAIL_FROM='' is not an e-mail address"),
    ],
)  # fmt: skip
def test_a_missing_or_empty_gateway_setting_is_named(change: dict[str, str], problem: str) -> None:
    settings = WorkerSettings.from_env({**GOOD, **change})
    assert settings.gateway_problems() == [problem]
    with pytest.raises(GatewaySettingError) as refused:
        settings.require_gateways()
    assert str(refused.value) == problem


def test_unset_gateways_are_named_together_in_one_line() -> None:
    with pytest.raises(GatewaySettingError) as refused:
        WorkerSettings.from_env({}).require_gateways()
    problem = str(refused.value)
    assert "\n" not in problem
    assert problem.startswith("SMS_GATEWAY_URL is not set")
    assert "; PUSH_GATEWAY_URL is not set" in problem


def test_the_senders_refuse_what_cannot_work() -> None:
    with pytest.raises(GatewaySettingError, match="SMS_GATEWAY_TOKEN is empty"):
        SmsSender("http://127.0.0.1:9101", "")
    with pytest.raises(GatewaySettingError, match="PUSH_GATEWAY_TOKEN is empty"):
        PushSender("http://127.0.0.1:9102", "")
    with pytest.raises(GatewaySettingError, match="MAIL_FROM"):
        MailSender("smtp://127.0.0.1:25", "")


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "cli.main", "workers", "--only", "worker"],
        ["-m", "cli.main", "workers"],
        ["-m", "dramatiq", "workers.main", "--processes", "1", "--threads", "1"],
    ],
)
def test_the_sending_process_stops_at_start_up_on_an_empty_sms_token(
    stack: Stack, command: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, *command],
        env=stack.env(SMS_GATEWAY_TOKEN=""),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    message = (
        f"infoshkola workers: SMS_GATEWAY_TOKEN is empty: the gateway at {stack.sms.url} needs "
        "its bearer token"
    )
    assert done.returncode != 0
    assert message in done.stderr.splitlines()
    assert stack.sms.requests == []


def test_the_demo_without_gateways_writes_the_password_to_a_file(
    stack: Stack, tmp_path: Path
) -> None:
    files = demo_gateways({"SMS_GATEWAY_URL": "", "PUSH_GATEWAY_URL": ""}, tmp_path)
    sms_file = tmp_path / "outbox" / "sms.jsonl"
    assert files == {
        "SMS_GATEWAY_URL": f"file:{sms_file}",
        "PUSH_GATEWAY_URL": f"file:{tmp_path / 'outbox' / 'push.jsonl'}",
    }
    assert demo_gateways({"SMS_GATEWAY_URL": "https://sms.example.org"}, tmp_path).keys() == {
        "PUSH_GATEWAY_URL"
    }
    demo = {**files, "SMS_GATEWAY_TOKEN": "", "PUSH_GATEWAY_TOKEN": ""}
    assert WorkerSettings.from_env({**stack.env(), **demo}).gateway_problems() == []
    identity = Identity(stack.database_url)
    identity.create_tables()
    try:
        pupil = new_school(stack.ledger).pupil()
        identity.grant_parent(pupil.contract_number, pupil.account_id, "+79130000777")
        stack.start("feed")
        stack.start("worker", 4, **demo)
        sent = "SELECT status FROM wk_outbox WHERE kind = 'login_password'"
        wait_for(lambda: stack.query(sent) == [("sent",)], 60, "the password to be written")
        (line,) = [json.loads(x) for x in sms_file.read_text().splitlines()]
        assert line["to"] == "+79130000777"
        password = line["text"].rsplit(" ", 1)[1]
        assert identity.login(pupil.contract_number, password, "10.9.9.9").principal.grants
        assert stack.sms.requests == []
    finally:
        identity.close()
