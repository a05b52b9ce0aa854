"""The NLU room: our Rasa components (sentence embedding, entity ids, fallbacks, red-flag guard),
the dialogue policy, and the spaCy pipeline and sentence model they are built from."""
