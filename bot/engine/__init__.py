"""The answer engine: reading a patient's message, choosing the reviewed answer units that answer
it, and building the turn's reply (docs/developers/architecture.md). The front door is
:func:`bot.engine.turn.take_turn`.

- :mod:`bot.engine.reading` cuts a message into clauses and finds what each asks and names;
- :mod:`bot.engine.retrieval` finds each clause's nearest reviewed example questions;
- :mod:`bot.engine.selection` chooses the units for each question, and records why;
- :mod:`bot.engine.replies` composes the reply, its kind and the slots it leaves.
"""
