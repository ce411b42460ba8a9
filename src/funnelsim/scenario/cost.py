"""What going to market costs beyond the leads: the people, the programs, and the margin.

A scenario's ``cost`` section. Leads cost what their source's ``cost_per_lead`` says; this
section adds each SDR's and AE's fully loaded cost per year (pay at target plus benefits,
taxes and overhead), fixed program spend per source per year, and the gross margin that
turns bookings into contribution. Every amount is per year; every default is zero (and a
margin of 1, so contribution is bookings less cost), so a scenario without the section
keeps its meaning. See docs/cost.md.
"""

from __future__ import annotations

from pydantic import Field

from funnelsim.base.distributions import Probability
from funnelsim.base.strict import Frozen
from funnelsim.scenario.fields import Money


class Cost(Frozen):
    """Fully loaded people cost per head per year, program spend per year, gross margin.

    People cost follows the days each SDR and AE is on the team (a staffing plan's hires and
    leavers: :mod:`funnelsim.scenario.staffing`), ramped or not, plus a one-off cost per hire
    made during the run.
    """

    sdr_per_year: Money = Field(
        default=0.0, description="one SDR's fully loaded cost per year (OTE x 1.2-1.3)"
    )
    ae_per_year: Money = Field(
        default=0.0, description="one AE's fully loaded cost per year (OTE x 1.2-1.3)"
    )
    sdr_hire: Money = Field(
        default=0.0, description="one-off cost of hiring an SDR (recruiting, onboarding)"
    )
    ae_hire: Money = Field(
        default=0.0, description="one-off cost of hiring an AE (recruiting, onboarding)"
    )
    programs: dict[str, Money] = Field(
        default={},
        description="fixed marketing program spend per source per year, beyond its leads' "
        "cost_per_lead (events' booths, agency retainers, tools)",
    )
    gross_margin: Probability = Field(
        default=1.0,
        description="share of bookings kept after the cost of delivering them; contribution "
        "is bookings x gross_margin less go-to-market cost",
    )
