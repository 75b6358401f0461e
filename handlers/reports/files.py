"""One entry point per report: load the data, write the file (in a worker thread, so a
long PDF never stalls the event loop), and say what it is called."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.policy import Policy
from bot.rendering import msg
from bot.reports.common import CONTENT_TYPES, PDF, Head
from handlers.reports.inspection import load_inspection
from handlers.reports.record import load_record
from handlers.reports.register import load_register
from handlers.reports.scope import quarter_of, scope_of


@dataclass(frozen=True)
class ReportOutput:
    name: str  # the file name a recipient sees
    content_type: str
    data: bytes
    head: Head


async def record_file(draft_id: int, fmt: str, policy: Policy, tz: ZoneInfo) -> ReportOutput:
    """登记表 of one draft (R-REV-5) as PDF or XLSX."""
    record = await load_record(draft_id, policy, tz)
    if fmt == PDF:
        from handlers.reports.record_pdf import record_pdf as write
    else:
        from handlers.reports.record_xlsx import record_xlsx as write
    data = await asyncio.to_thread(write, record)
    return ReportOutput(msg("records.file_name", id=draft_id, ext=fmt), CONTENT_TYPES[fmt],
                        data, record.head)


async def register_file(first: date, last: date, unit_id: str | None, fmt: str,
                        policy: Policy, tz: ZoneInfo) -> ReportOutput:
    """审核登记簿: every post published from `first` to `last` (inclusive)."""
    from handlers.reports import register_files

    reg = await load_register(first, last, unit_id, policy, tz)
    write = register_files.register_pdf if fmt == PDF else register_files.register_xlsx
    data = await asyncio.to_thread(write, reg)
    return ReportOutput(msg("register.file_name", first=first.isoformat(), last=last.isoformat(),
                            ext=fmt), CONTENT_TYPES[fmt], data, reg.head)


async def inspection_file(quarter: str, unit_id: str | None, fmt: str, policy: Policy,
                          tz: ZoneInfo, now: datetime | None = None) -> ReportOutput:
    """季度检查报告 (R-INS-1) of a quarter, for a unit and those below (or everything)."""
    from handlers.reports import inspection_pdf, inspection_xlsx

    report = await load_inspection(await scope_of(unit_id), quarter_of(quarter, tz), policy,
                                   tz, now)
    write = inspection_pdf.inspection_pdf if fmt == PDF else inspection_xlsx.inspection_xlsx
    data = await asyncio.to_thread(write, report)
    return ReportOutput(msg("inspection.file_name", quarter=quarter.upper(), ext=fmt),
                        CONTENT_TYPES[fmt], data, report.head)
