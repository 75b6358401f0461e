"""Exception hierarchy. DomainError carries a message key, never a sentence."""

from __future__ import annotations

from bot.rendering import msg


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(BotError):
    """A configuration value is missing or invalid; str() is one line for the operator."""


class DomainError(BotError):
    """A user's request cannot be done; the user gets the rendered message and nothing changes."""

    def __init__(self, key: str, /, **ctx: object) -> None:
        self.key = key
        self.ctx = ctx
        super().__init__(key)

    def text(self) -> str:
        return msg(self.key, **self.ctx)


class SignatureError(BotError):
    """An inbound callback failed signature or timestamp verification."""


class ChannelAPIError(BotError):
    """A platform API answered with an error code."""

    def __init__(self, errcode: int, errmsg: str, *, retryable: bool) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.retryable = retryable
        super().__init__(f"{errcode}: {errmsg}")


class RecipientError(ChannelAPIError):
    """The platform says the recipient does not exist or may not receive messages.

    Never retried; the outbox reports it through its undeliverable hook.
    """

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg, retryable=False)


class ChannelNetworkError(BotError):
    """The platform could not be reached; always retryable."""


# errno → message key: the operating system's own words are English
_OS_REASONS = {2: "os.not_found", 13: "os.denied", 1: "os.denied", 21: "os.is_dir",
               20: "os.not_dir", 28: "os.no_space", 30: "os.read_only", 17: "os.exists"}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese (never the system's English strerror)."""
    key = _OS_REASONS.get(exc.errno or 0)
    return msg(key) if key else msg("os.other", errno=exc.errno or 0)
