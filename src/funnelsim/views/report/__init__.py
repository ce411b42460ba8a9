"""The HTML report of a results folder."""

from funnelsim.views.report.html import write_report

__all__ = ["write_report"]
