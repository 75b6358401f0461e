"""Handlers, one module per capability. ROUTERS is the explicit registration list."""

from handlers import help, passwords, relay, reminders, review, todo

ROUTERS = (review.router, todo.router, help.router, relay.router, passwords.router,
           reminders.router)
