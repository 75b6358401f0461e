"""Handlers, one package per capability. ROUTERS is the explicit registration list.

Package __init__ files stay empty so that capabilities can import each other's helpers
without import cycles; each router lives in a named module.
"""

from handlers.duty import roster as duty
from handlers.followups import counterfeit, interpretation, rectification
from handlers.followups import messages as public_messages
from handlers.general import help, todo
from handlers.precheck import commands as precheck
from handlers.registry import filings, materials, passwords, queries
from handlers.registry import followups as filing_followups
from handlers.relay import commands as relay
from handlers.reminders import settings as reminder_settings
from handlers.reports import commands as reports
from handlers.review import away, intake, moves, page
from handlers.review import commands as review
from handlers.staff import permissions as staff
from handlers.website import columns as website

ROUTERS = (review.router, moves.router, away.router, intake.router, page.router,
           precheck.router, todo.router, queries.router, filings.router, materials.router,
           filing_followups.router,
           relay.router, passwords.router,
           reminder_settings.router, reports.router, rectification.router,
           public_messages.router, interpretation.router, counterfeit.router, duty.router,
           staff.router, website.router, help.router)
