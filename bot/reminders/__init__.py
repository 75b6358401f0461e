"""Pure helpers of the reminder engine (time of day, workdays); the scan is handlers/reminders."""
