"""What the running servers show their operators: liveness and readiness checks, Prometheus
metrics, and JSON log lines that never carry a patient's words.

The servers import this room themselves (the Rasa server, the action server and the web
server); :mod:`bot.deploy` only starts them. Nothing here imports Rasa, so the action and web
servers stay free of it.
"""
