"""企业微信 / 政务微信: adapter, api, inbound, cards (the same modules as every platform)."""

NAME = "wecom"
