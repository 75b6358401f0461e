"""The account registry (台账): queries, filings (备案) and their effects, passwords."""
