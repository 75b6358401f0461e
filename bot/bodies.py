"""Request bodies read whole, up to a limit (issue 13 item 7).

`request.content.read(n)` returns what has arrived so far, so a valid body that comes in
several TCP reads was cut short; read until the end instead, refusing more than `limit`.
"""

from __future__ import annotations

from aiohttp import web


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
