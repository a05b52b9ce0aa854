"""``make bench``: understanding, serving speed and cost, ours beside Rasa's default recipe.

Run with ``python -m bot.bench`` (see ``--help``). Modules:

- :mod:`bot.bench.recipes`: the two recipes (our config.yml, the one ``rasa init`` writes), timed training.
- :mod:`bot.bench.nlu`: ``rasa test nlu`` on the held-out messages and a k-fold cross-validation.
- :mod:`bot.bench.serving`: servers started with :class:`bot.serve.Servers`, load from
  :mod:`bot.loadgen`, memory and CPU from ``/proc``.
- :mod:`bot.bench.breakdown`: where the time of one message goes (NLU, policies, action, tracker).
- :mod:`bot.bench.report`: ``reports/benchmark.md``, ``benchmark.json`` and the plot.
"""
