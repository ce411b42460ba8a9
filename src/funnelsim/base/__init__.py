"""Foundations: units, the business calendar, distributions, random streams, input files."""
