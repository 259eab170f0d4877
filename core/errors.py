"""Errors that services raise and every entry point (pages, API, admin) translates."""


class Conflict(Exception):
    """A state conflict: the API answers 409 `{"detail", "code"}`, a page shows the message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class TooManyRequests(Exception):
    """A limit on how often something may be done was reached: 429 with the message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
