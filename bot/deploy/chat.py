"""Talk to a running assistant from the terminal, over its REST channel.

Usage: ``make chat`` (or ``python -m bot.deploy.chat --url http://localhost:5005``). Buttons are shown
numbered; type the number to press one.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
import uuid
from typing import Dict, List, Optional, Sequence


def send(url: str, sender: str, message: str, timeout: float = 30) -> List[Dict]:
    """POST one message to the REST webhook and return the bot's messages."""
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with the assistant in the terminal.")
    parser.add_argument("--url", default="http://localhost:5005")
    args = parser.parse_args(argv)
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    print("Type a question (Ctrl-D or /quit to leave). Type a number to press a button.")
    buttons: List[Dict] = []
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in {"/quit", "/exit"}:
            return 0
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        if not text:
            continue
        try:
            replies = send(args.url, sender, text)
        except (urllib.error.URLError, OSError) as error:
            print(f"Cannot reach the assistant at {args.url} ({error}). Is `make run` running?")
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print(f"bot> {reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"     [{len(buttons)}] {button['title']}")


if __name__ == "__main__":
    raise SystemExit(main())
