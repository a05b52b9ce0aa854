"""Changes to Rasa's and Sanic's internals, one module per change where a change needs more than a
few lines, installed by :mod:`bot.rasa_patches.main` and gated by :mod:`bot.rasa_patches.registry`
(docs/developers/rasa-patches.md). The product never depends on them: with ``BME_RASA_SPEEDUPS=none`` the
answers are the same."""
