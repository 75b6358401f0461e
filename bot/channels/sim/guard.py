"""The simulator's door (issue 13 item 3): a login next to a real channel, CSRF-safe requests.

- With `sim_token` set (required next to a real channel, bot/config.py) every /sim/ request
  needs the login: a cookie made by POST /sim/login from the token, or
  `Authorization: Bearer <token>` for scripts. Without it the page is a login form and the
  API answers 401.
- Always (a demo on loopback too): a state-changing request must come from the simulator's
  own page: JSON endpoints need a JSON content type, the upload (multipart) the
  X-Govmedia-Sim header (a cross-site form can send neither without a CORS preflight,
  which is never granted), and a foreign Origin or `Sec-Fetch-Site: cross-site` is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.bodies import read_body
from bot.rendering import msg, render

COOKIE = "govmedia_sim"
HEADER = "X-Govmedia-Sim"
UPLOAD_HEADERS = {HEADER: "1"}  # what the page sends with a file
JSON_POSTS = frozenset({"/sim/login", "/sim/api/send", "/sim/api/tap"})
LOGIN_MAX_BYTES = 4096

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def session_value(token: str) -> str:
    """The login cookie: derived from the token, so it changes when the token does."""
    return hmac.new(token.encode(), b"govmedia-sim-session", hashlib.sha256).hexdigest()


def logged_in(request: web.Request, token: str) -> bool:
    if not token:
        return True
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer ") and hmac.compare_digest(
            auth[7:].strip().encode("utf-8", "replace"), token.encode()):
        return True
    return hmac.compare_digest(request.cookies.get(COOKIE, "").encode("utf-8", "replace"),
                               session_value(token).encode())


def _cross_site(request: web.Request) -> bool:
    if request.headers.get("Sec-Fetch-Site", "") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    try:
        return origin == "null" or urlsplit(origin).netloc.lower() != request.host.lower()
    except ValueError:
        return True


def _refuse(status: type[web.HTTPException], reason: str) -> web.HTTPException:
    return status(text=json.dumps({"ok": False, "error": reason}),
                  content_type="application/json")


def middleware(token: str) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/sim/"):
            return await handler(request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if _cross_site(request):
                raise _refuse(web.HTTPForbidden, "cross-site request")
            if path in JSON_POSTS:
                if request.content_type != "application/json":
                    raise _refuse(web.HTTPUnsupportedMediaType, "JSON only")
            elif request.headers.get(HEADER) != "1":
                raise _refuse(web.HTTPForbidden, f"missing {HEADER} header")
        if path == "/sim/login" or logged_in(request, token):
            return await handler(request)
        if path == "/sim/" and request.method in ("GET", "HEAD"):
            html = render("sim/login.html.j2", bot_name=msg("sim.bot_name"))
            return web.Response(text=html, content_type="text/html", status=401)
        raise _refuse(web.HTTPUnauthorized, "login required")

    return guard


def routes(token: str) -> list[web.RouteDef]:
    async def login(request: web.Request) -> web.Response:
        if not token:
            return web.json_response({"ok": True})
        raw = await read_body(request, LOGIN_MAX_BYTES)
        try:
            given = json.loads(raw).get("token", "")
        except (ValueError, AttributeError, RecursionError):
            given = ""
        if not isinstance(given, str) or not hmac.compare_digest(
                given.encode("utf-8", "replace"), token.encode()):
            raise _refuse(web.HTTPUnauthorized, msg("sim.login_wrong"))
        resp = web.json_response({"ok": True})
        resp.set_cookie(COOKIE, session_value(token), path="/sim/", httponly=True,
                        samesite="Strict", secure=request.secure
                        or request.headers.get("X-Forwarded-Proto") == "https")
        return resp

    return [web.post("/sim/login", login)]
