"""Handlers, one module per capability. ROUTERS is the explicit registration list."""

from handlers import accounts, filings, help, precheck, review, todo

ROUTERS = (review.router, precheck.router, todo.router, accounts.router, filings.router,
           help.router)
