"""Request bodies read whole, up to a limit (issue 13 item 7).

`request.content.read(n)` returns what has arrived so far, so a valid body that comes in
several TCP reads was cut short; read until the end instead, refusing more than `limit`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body; 413 when the declared or the actual size passes `limit`."""
    if (request.content_length or 0) > limit:
        raise web.HTTPRequestEntityTooLarge(limit, request.content_length or 0)
    body = bytearray()
    while True:
        chunk = await request.content.readany()
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(limit, len(body))


def loads_json(raw: bytes) -> Any:
    """JSON from a request body; ValueError unless it is UTF-8, parses, nests within the
    parser's limit and holds no lone surrogate (a "\\ud800" escape no database can store)."""
    try:
        data = json.loads(raw.decode("utf-8"))
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
    return data  # UnicodeDecodeError, JSONDecodeError, UnicodeEncodeError are ValueErrors


class ProtocolErrorFilter(logging.Filter):
    """aiohttp answers a malformed request (a 9 KB URL, a broken header) with 400 itself and
    logs it at ERROR with a traceback that quotes the request line. That is a client's
    mistake, not ours: one WARNING line with the reason, no client text."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 0) < 500:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = "bad HTTP request refused: %s (%s)", (
                type(exc).__name__, exc.code)
            record.exc_info, record.exc_text = None, None
        return True


def quiet_protocol_errors() -> None:
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ProtocolErrorFilter) for f in server.filters):
        server.addFilter(ProtocolErrorFilter())
