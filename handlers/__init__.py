"""Handlers, one module per capability. ROUTERS is the explicit registration list."""

from handlers import help, review, todo

ROUTERS = (review.router, todo.router, help.router)
