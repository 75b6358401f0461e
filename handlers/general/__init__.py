"""What spans capabilities: 帮助, 待办, undeliverable recipients."""
