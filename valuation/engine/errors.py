"""The engine's one error type: it names the input that is wrong, so a form or an API can point at it."""

from __future__ import annotations


class ValidationError(ValueError):
    """An input the engine cannot use.

    ``input`` is a path into the inputs (``"royalty_rate"``, ``"revenues[3]"``, ``"costs[0].year"``,
    ``"discount_rate.max"``); ``code`` is a stable machine code (``required``, ``not_number``,
    ``out_of_range``, ``empty``, ``too_long``, ``bad_range``, ``unknown``, ``mismatch``, ``order``,
    ``not_list``, ``not_allowed``) that the web layer translates; ``params`` fill the message;
    ``message`` is a plain English sentence for logs and API clients without a translation.
    """

    def __init__(self, input: str, message: str, *, code: str = "invalid", params: dict | None = None):
        super().__init__(f"{input}: {message}")
        self.input = input
        self.message = message
        self.code = code
        self.params = params or {}
