"""Which channels the environment turns on, and that Rasa loads the file we write."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Dict

import pytest

from bot.engine.knowledge import load_yaml
from rasa.core.run import create_http_input_channels

from bot.channels.credentials import CHANNELS, channel_credentials, enabled, write_credentials
from bot.channels.facebook import MessengerInput
from bot.channels.slack import SlackInput
from bot.channels.telegram import TelegramInput
from bot.channels.twilio import TwilioInput, WhatsAppInput

ALL: Dict[str, str] = {
    "TELEGRAM_TOKEN": "123456:ABC-test", "TELEGRAM_VERIFY": "bme_bot",
    "TELEGRAM_WEBHOOK_URL": "https://bme.example.org/webhooks/telegram/webhook",
    "TELEGRAM_SECRET_TOKEN": "tg-secret",
    "SLACK_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "slack-secret",
    "FACEBOOK_VERIFY": "fb-verify", "FACEBOOK_SECRET": "fb-secret",
    "FACEBOOK_PAGE_ACCESS_TOKEN": "fb-page-token",
    "TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "tw-token",
    "TWILIO_NUMBER": "+15550001111",
    "TWILIO_WEBHOOK_URL": "https://bme.example.org/webhooks/twilio/webhook",
    "TWILIO_WHATSAPP_NUMBER": "+15550002222",
    "TWILIO_WHATSAPP_WEBHOOK_URL": "https://bme.example.org/webhooks/whatsapp/webhook",
}


def test_nothing_set_means_no_messaging_channel_and_no_note() -> None:
    assert channel_credentials({}) == ({}, [])


def test_everything_set_turns_every_channel_on() -> None:
    assert enabled(ALL) == ["telegram", "slack", "facebook", "sms", "whatsapp"]


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
def test_each_channel_is_on_with_exactly_its_own_variables(channel) -> None:
    env = {var: ALL[var] for var in channel.required.values()}
    found, notes = channel_credentials(env)
    assert list(found) == [channel.connector] and notes == []
    assert found[channel.connector] == {key: ALL[var] for key, var in channel.required.items()}


def test_a_half_set_up_channel_stays_off_and_says_what_is_missing() -> None:
    found, notes = channel_credentials({"TELEGRAM_TOKEN": "1:a", "TELEGRAM_VERIFY": " "})
    assert found == {}
    assert notes == ["telegram is off: TELEGRAM_VERIFY, TELEGRAM_WEBHOOK_URL, "
                     "TELEGRAM_SECRET_TOKEN not set"]


def test_sms_only_does_not_nag_about_whatsapp() -> None:
    sms = {var: ALL[var] for var in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_NUMBER",
                                     "TWILIO_WEBHOOK_URL")}
    assert enabled(sms) == ["sms"] and channel_credentials(sms)[1] == []


def test_optional_settings_are_added_when_set() -> None:
    found, _ = channel_credentials({**ALL, "TELEGRAM_API_URL": "http://127.0.0.1:9/telegram",
                                    "TWILIO_MAX_CHARS": "320"})
    assert found["bot.channels.telegram.TelegramInput"]["api_url"] == "http://127.0.0.1:9/telegram"
    assert found["bot.channels.twilio.TwilioInput"]["max_chars"] == "320"
    assert "max_chars" not in found["bot.channels.twilio.WhatsAppInput"]


def test_the_file_keeps_the_committed_channels_and_is_private(tmp_path: Path) -> None:
    path = write_credentials(tmp_path / "run" / "credentials.yml", env={})
    committed = load_yaml((Path(__file__).parents[2] / "credentials.yml").read_text())
    assert load_yaml(path.read_text()) == committed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rasa_loads_every_connector_from_the_file(tmp_path: Path) -> None:
    path = write_credentials(tmp_path / "credentials.yml", env=ALL)
    channels = create_http_input_channels(None, str(path))
    ours = {type(c): c for c in channels if type(c).__module__.startswith("bot.channels.") and
            type(c).__module__ != "bot.channels.browser"}
    assert set(ours) == {TelegramInput, SlackInput, MessengerInput, TwilioInput, WhatsAppInput}
    assert [c.url_prefix() for c in ours.values()] == [
        "telegram", "slack", "facebook", "twilio", "whatsapp"]
    assert ours[WhatsAppInput].number == "whatsapp:+15550002222"
    assert ours[TwilioInput].number == "+15550001111"


def test_a_size_limit_above_the_platforms_is_refused(tmp_path: Path) -> None:
    path = write_credentials(tmp_path / "credentials.yml", env={**ALL, "SLACK_MAX_CHARS": "5000"})
    with pytest.raises(ValueError, match="between 1 and 3000"):
        create_http_input_channels(None, str(path))
