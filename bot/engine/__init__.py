"""The answer engine: reading a patient's message, choosing the reviewed answer units that answer
it, and building the turn's reply (docs/architecture.md).

- :mod:`bot.engine.reading` cuts a message into questions and finds what each asks and names;
- :mod:`bot.engine.selection` chooses the units for each question;
- :mod:`bot.engine.replies` builds the whole turn: the reply, its kind and the slots it leaves.
"""
