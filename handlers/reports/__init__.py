"""Records and reports: 登记表, the register, the quarterly report, the board (issue 17)."""
