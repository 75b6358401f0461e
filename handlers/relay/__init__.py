"""转载 tasks from supervising offices (R-RLY-1/2)."""
