"""The code every Bilten tier shares: ticket tokens, admission rules, sync messages, clocks.

Nothing here imports a web framework, an ORM or Qt, so the same rules run unchanged on the
scanner, the venue server and the cloud.
"""
