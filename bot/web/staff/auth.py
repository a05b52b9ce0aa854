"""The staff dashboard's login: a password hash from the environment, sessions that expire, and
a limit on wrong passwords.

The password is never stored or configured in clear: ``make staff-password`` asks for it and prints
``pbkdf2_sha256$<iterations>$<salt>$<hash>`` for ``BME_STAFF_PASSWORD_HASH``. Sessions live in
the web server's memory: a restart logs everyone out, which is the safe side.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import time
from collections import defaultdict, deque
from typing import Callable, Deque, Dict, Optional

SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP's figure for PBKDF2-HMAC-SHA256
MAX_FAILURES = 5
FAILURE_WINDOW_S = 300.0
MIN_PASSWORD_CHARS = 12


def hash_password(password: str, iterations: int = ITERATIONS, salt: Optional[bytes] = None) -> str:
    """The storable hash of ``password`` (a new random salt unless one is given)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    encode = base64.b64encode
    return f"{SCHEME}${iterations}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: Optional[str]) -> bool:
    """Whether ``password`` matches the stored hash (``False`` when none is set or it is bad)."""
    try:
        scheme, iterations, salt, digest = (stored or "").split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt),
                                     int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


class Sessions:
    """Logged-in staff sessions by random token, each valid for ``lifetime_s`` from login."""

    def __init__(self, lifetime_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime_s = lifetime_s
        self.clock = clock
        self._expiry: Dict[str, float] = {}

    def start(self) -> str:
        token = secrets.token_urlsafe(32)
        self._expiry[token] = self.clock() + self.lifetime_s
        return token

    def valid(self, token: Optional[str]) -> bool:
        now = self.clock()
        for old in [t for t, end in self._expiry.items() if end <= now]:
            del self._expiry[old]
        return bool(token) and token in self._expiry

    def end(self, token: Optional[str]) -> None:
        self._expiry.pop(token or "", None)


class Throttle:
    """At most :data:`MAX_FAILURES` wrong passwords per client address in a sliding window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)

    def _recent(self, client: str) -> Deque[float]:
        failures = self._failures[client]
        while failures and failures[0] <= self.clock() - FAILURE_WINDOW_S:
            failures.popleft()
        return failures

    def blocked(self, client: str) -> bool:
        return len(self._recent(client)) >= MAX_FAILURES

    def failed(self, client: str) -> None:
        self._recent(client).append(self.clock())


def main() -> int:
    """``make staff-password``: ask for a password twice and print its hash."""
    password = getpass.getpass("New staff dashboard password: ")
    if len(password) < MIN_PASSWORD_CHARS:
        print(f"error: use at least {MIN_PASSWORD_CHARS} characters", file=sys.stderr)
        return 2
    if getpass.getpass("Again: ") != password:
        print("error: the two passwords differ; nothing changed", file=sys.stderr)
        return 2
    print("Set this in the web server's environment (keep it out of version control):")
    print(f"BME_STAFF_PASSWORD_HASH='{hash_password(password)}'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
