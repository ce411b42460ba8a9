"""SLA proposals: the clauses leaders are asked to sign, stress-tested before they sign."""

from funnelsim.sla.proposal import Clause, Proposal
from funnelsim.sla.reading import parse_proposal, proposal_file, read_proposal
from funnelsim.sla.run import stress_test
from funnelsim.sla.study import Study, prepare_study

__all__ = [
    "Clause",
    "Proposal",
    "Study",
    "parse_proposal",
    "prepare_study",
    "proposal_file",
    "read_proposal",
    "stress_test",
]
