"""What every signed page shares: the link check and safe response headers."""

from __future__ import annotations

from aiohttp import web

from bot import links
from bot.clock import utcnow
from bot.config import Settings
from bot.rendering import render_html

# the token is in the URL: never send it on as a referrer, never cache the page anywhere
HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}
REFUSED = {"expired": 410, "malformed": 404, "signature": 404, "forbidden": 403}


async def grant(settings: Settings, request: web.Request, target: str) -> links.Grant:
    """The grant of the request's link for exactly this target, or LinkError."""
    secret = await links.secret_for(settings)
    found = links.verify(secret, request.query.get("t", ""), utcnow())
    if found.target != target:
        raise links.LinkError("signature")
    return found


def page(html: str, status: int = 200) -> web.Response:
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                        headers=HEADERS)


def refused(reason: str, **ctx: object) -> web.Response:
    """A short Chinese page saying why the link does not open and what to do."""
    return page(render_html("web/refused.html.j2", reason=reason, **ctx),
                status=REFUSED.get(reason, 404))
