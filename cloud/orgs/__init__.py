"""Organisations: the owners of venues and events, and the people who work in them."""
