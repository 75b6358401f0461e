"""The browser simulator: adapter, inbound, cards (the same modules as every platform) and
guard (its login and CSRF door)."""

NAME = "sim"
