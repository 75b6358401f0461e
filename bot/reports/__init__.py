"""The writers reports share: PDF (fpdf2, embedded Noto Sans SC), XLSX (openpyxl), charts
drawn into the PDF, and what every report carries (the audit head, local times).

The reports themselves (what they say, who may ask) live in handlers/reports/. The PDF
writer imports fpdf2 and the font only when a PDF is written, so a bot that never
prints loads neither.
"""
