"""Reminders derived from state: the scan, what is due, who hears, digests, settings."""
