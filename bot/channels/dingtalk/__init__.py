"""钉钉: adapter, api, inbound, cards (the same modules as every platform) and stream."""

NAME = "dingtalk"
