"""The launcher (bot.deploy.serve), without starting a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.deploy.serve import Servers
from bot.settings import SettingsError


def test_a_bad_log_format_stops_the_start_before_any_server(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setenv("BME_LOG_FORMAT", "xml")
    servers = Servers(5999, 5998, model)
    with pytest.raises(SettingsError, match="BME_LOG_FORMAT"):
        servers.start()
    assert servers.processes == []



def test_a_bad_care_team_setting_stops_the_start_before_any_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setenv("BME_CARE_TEAM_NAME", "Knee clinic")
    monkeypatch.setenv("BME_CARE_TEAM_PHONE", "ask at reception")
    servers = Servers(5999, 5998, model)
    with pytest.raises(SettingsError, match="BME_CARE_TEAM_PHONE must be a phone number"):
        servers.start()
    assert servers.processes == []
