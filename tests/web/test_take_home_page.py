"""The take-home summary page in-process (no Rasa, no browser): contents, errors, headers."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Tuple

from aiohttp.test_utils import TestClient, TestServer

from bot.engine.knowledge import load_knowledge, speaking
from bot.clinic.take_home import content_version, summary_path
from bot.web.app import VENDOR_FILES, WebConfig, create_app
from bot.web.staff.pages import StaffConfig

KB = load_knowledge()


async def get(tmp_path: Path, path: str) -> Tuple[int, str, dict]:
    modules = tmp_path / "nm"
    for name in VENDOR_FILES.values():
        (modules / name).parent.mkdir(parents=True, exist_ok=True)
        (modules / name).write_text("//")
    app = create_app(WebConfig(rasa_port=5999, node_modules=modules),
                     StaffConfig(password_hash=None, store={"dialect": "sqlite", "db": "x"}))
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path)
        return response.status, await response.text(), dict(response.headers)


async def test_summary_lists_exactly_the_answers_of_the_link(tmp_path: Path) -> None:
    path = summary_path(["what_is/overview", "duration/injury", "treatment/rest"])
    status, page, headers = await get(tmp_path, str(path))
    assert status == 200 and "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    assert page.count('<article class="entry"') == 3
    for answer_id in ("what_is/overview", "duration/injury", "treatment/rest"):
        first_paragraph = KB.units[answer_id].full_text.split("\n\n")[0]
        assert html.escape(first_paragraph) in page
    assert '<svg role="img" aria-label="QR code' in page
    assert f"/summary?v={content_version()}&amp;a=what_is%2Foverview" in page  # the QR's link
    assert "911" in page and "computer program" in page


async def test_bad_links_get_a_clear_page_not_a_server_error(tmp_path: Path) -> None:
    status, page, _ = await get(tmp_path, f"/summary?v={content_version()}&a=term/lesion,made/up")
    assert status == 404 and "does not exist" in page
    status, page, _ = await get(tmp_path, "/summary?v=123456789abc&a=term/lesion")
    assert status == 410 and "older version" in page
    status, page, _ = await get(tmp_path, "/summary")
    assert status == 404 and "<script>" not in page.split("</title>")[1]
    status, page, _ = await get(tmp_path, "/summary?v=x&a=<script>alert(1)</script>")
    assert status in (404, 410) and "<script>" not in page.split("</title>")[1]


async def test_a_spanish_conversations_summary_is_in_spanish_and_its_qr_keeps_the_language(
        tmp_path: Path) -> None:
    with speaking("es"):
        path = summary_path(["what_is/overview", "treatment/rest"])
        spanish = load_knowledge()
    assert path is not None and path.endswith("&l=es")
    status, page, _ = await get(tmp_path, path)
    assert status == 200 and '<html lang="es">' in page
    assert "Sus respuestas sobre el edema de médula ósea" in page and "Imprimir" in page
    assert html.escape(spanish.units["treatment/rest"].full_text.split("\n\n")[0]) in page
    assert "traductor médico" in page and "911" in page  # the review note, the urgent help
    assert "&amp;l=es" in page  # the link of the QR code opens it in Spanish too
    assert "Your answers" not in page
