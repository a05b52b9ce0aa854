"""Every change to Rasa's internals off (``BME_RASA_SPEEDUPS=none``): the assistant answers each
turn of the conversation stories exactly as with every change on (the ``assistant`` fixture)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bench.serving import server_pids
from bot.deploy.chat import send
from bot.deploy.serve import Servers

from test_conversations import STORY_LIST, plain, turns  # same folder (pytest puts it on sys.path)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stock(trained_model: Path, tmp_path_factory: pytest.TempPathFactory,
          running_servers) -> Iterator[Servers]:
    with running_servers(trained_model, tmp_path_factory.mktemp("changes-off"),
                         {"BME_RASA_SPEEDUPS": "none"}) as servers:
        rasa = server_pids(servers)["rasa"]
        assert b"BME_RASA_SPEEDUPS=none" in Path(f"/proc/{rasa}/environ").read_bytes()
        yield servers


def test_every_story_is_answered_the_same_with_every_change_off(assistant, stock: Servers) -> None:
    compared = 0
    for story in STORY_LIST:
        sender = f"same-{uuid.uuid4().hex[:12]}"  # each server has a store of its own
        for text, _ in turns(story):
            assert send(stock.url, sender, plain(text)) == send(assistant.url, sender, plain(text)), \
                f"{story['story']}: {text!r}"
            compared += 1
    assert compared >= 15  # every user turn of the stories
