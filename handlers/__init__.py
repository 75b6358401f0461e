"""Handlers, one module per capability. ROUTERS is the explicit registration list."""

from handlers import (
    accounts,
    filings,
    help,
    passwords,
    precheck,
    relay,
    reminders,
    review,
    todo,
)

ROUTERS = (review.router, precheck.router, todo.router, accounts.router, filings.router,
           relay.router, passwords.router, reminders.router, help.router)
