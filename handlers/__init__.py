"""Handlers, one module per capability. ROUTERS is the explicit registration list."""

from handlers import help, precheck, review, todo

ROUTERS = (review.router, precheck.router, todo.router, help.router)
