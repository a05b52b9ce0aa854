"""The channels patients talk to the assistant on.

Web: ``web.py`` (REST and socket.io). Messaging: one connector module per platform
(``telegram.py``, ``slack.py``, ``facebook.py``, ``twilio.py`` for SMS and WhatsApp), loaded by
Rasa by module path from the credentials file. ``credentials.py`` turns them on from environment
variables. Every channel hands messages to Rasa through ``guard.py``.

What the messaging connectors share lives in small modules: ``text.py`` (splitting, numbered
options, mapping a reply to an option: pure), ``signatures.py`` (request verification: pure),
``http.py`` (one way to call a platform API), ``choices.py`` (the options last offered, read from
the tracker store) and ``base.py``.
"""
