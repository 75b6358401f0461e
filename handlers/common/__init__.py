"""Helpers every capability uses: finding accounts, people and drafts by what users type."""
