"""``make bench``: understanding, serving speed and cost, ours beside Rasa's default recipe.

Run with ``python -m bench`` (see ``--help``). Modules:

- :mod:`bench.recipes`: the two recipes (our config.yml, the one ``rasa init`` writes), timed training.
- :mod:`bench.nlu`: ``rasa test nlu`` on the held-out messages and a k-fold cross-validation.
- :mod:`bench.serving`: servers started with :class:`bot.deploy.serve.Servers`, load from
  :mod:`bench.loadgen`, memory and CPU from ``/proc``.
- :mod:`bench.breakdown`: where the time of one message goes (NLU, policies, action, tracker).
- :mod:`bench.report`: ``reports/benchmark.md``, ``benchmark.json`` and the plot.
"""
