"""The venue server: the venue's local copy of its events, its scanners' hub, its cloud link.

It runs on the venue LAN and keeps every gate consistent while the internet is down. It talks
to the cloud and to scanners only over HTTP with the message types in ``shared.messages``.
"""
