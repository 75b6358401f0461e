"""Words people type that several commands read the same way: yes or no, a web address.

One definition each, so `是否认证：有` in a filing, `重要：是` in a draft and the URL of
`已发布`, `已转载` or `已答复` are judged alike everywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

YES = ("是", "yes", "y", "true", "1")
NO = ("否", "no", "n", "false", "0")


def yes_no(value: str, *, yes: Iterable[str] = (), no: Iterable[str] = ()) -> bool | None:
    """True for a yes word, False for a no word (full- or half-width, any case), None for
    anything else; `yes` and `no` add the words one field also takes (`有`, `不`)."""
    folded = unicodedata.normalize("NFKC", value).strip().lower()
    if folded in YES or folded in yes:
        return True
    if folded in NO or folded in no:
        return False
    return None


def is_web_url(value: str) -> bool:
    """An http(s) address with a host and no white space."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [ in the host
        return False
    return parts.scheme in ("http", "https") and bool(host) \
        and not any(c.isspace() for c in value)
