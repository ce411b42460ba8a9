"""Terminal tables of a run, an experiment and an SLA stress test."""
