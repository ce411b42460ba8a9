"""What a run recorded: the ledger, its event log, and the figures computed from it."""
