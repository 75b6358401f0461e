"""Handlers, one module per capability. ROUTERS is the explicit registration list."""

from handlers import accounts, filings, help, review, todo

ROUTERS = (review.router, todo.router, accounts.router, filings.router, help.router)
