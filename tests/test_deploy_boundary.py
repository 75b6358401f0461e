"""deploy/nginx.conf forwards every platform callback the app serves, and the links phones
open, and nothing of the simulator or the monitoring endpoints (issue 13 item 7)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import create_app
from tests.test_fuzz import fuzz_settings

NGINX = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"


def _public_locations() -> list[tuple[bool, str]]:
    """(exact, path) of every forwarded location of the public (TLS) server."""
    text = NGINX.read_text(encoding="utf-8")
    public = text.split("listen 443", 1)[1].split("\nserver {", 1)[0]
    found = re.findall(r"location\s+(=\s+)?(\S+)\s*\{([^}]*)\}", public)
    return [(bool(exact), path) for exact, path, body in found if "proxy_pass" in body]


def _forwarded(path: str) -> bool:
    return any(path == loc if exact else path.startswith(loc)
               for exact, loc in _public_locations())


def test_every_callback_route_is_forwarded(tmp_path: Path) -> None:
    app = create_app(fuzz_settings(tmp_path))
    callbacks = {r.resource.canonical for r in app.router.routes()
                 if r.resource is not None and r.resource.canonical.startswith(
                     ("/wecom/", "/dingtalk/"))}
    assert callbacks == {"/wecom/callback", "/dingtalk/callback", "/dingtalk/card"}
    assert all(_forwarded(path) for path in callbacks), _public_locations()
    assert _forwarded("/drafts/12") and _forwarded("/board/")
    for inside in ("/sim/", "/sim/api/send", "/healthz", "/metrics", "/"):
        assert not _forwarded(inside), inside
