"""Errors the service layer raises that every channel answers the same way."""


class StaleVersion(Exception):
    """The record changed since the client read it: a change based on that version is refused (HTTP 409 in the
    API, a message naming what changed on pages)."""
