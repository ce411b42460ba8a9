"""SLA proposals: clauses leaders are asked to sign, turned into a policy and promises to judge."""

from funnelsim.sla.proposal import Clause, Proposal, parse_proposal, read_proposal

__all__ = ["Clause", "Proposal", "parse_proposal", "read_proposal"]
