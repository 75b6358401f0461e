"""govmedia-bot: 政务新媒体 three-level review and registry bot."""
