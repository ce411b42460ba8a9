"""Write the two example CRM exports beside this file: a HubSpot-shaped one and a
Salesforce-shaped one, each of a small company simulated by funnelsim, gzipped.

The company is the reference scenario at a quarter of its lead volume, with two SDRs and six
AEs, run for 120 weeks; each export is taken at the run's end. The Salesforce one renames the
open stages to Salesforce's standard ones, as a real org would have them, and its mapping file
maps them back. Run it from the checkout's root::

    .venv/bin/python examples/crm/make_examples.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

import funnelsim
from funnelsim.record.crm import SHAPES, crm_export

HERE = Path(__file__).parent
COMPANY = {
    "sources.inbound.rate_per_week": 42,
    "sources.paid.rate_per_week": 35,
    "sources.events.rate_per_week": 8,
    "sources.outbound_sdr.rate_per_week": 15,
    "sources.tele.rate_per_week": 8,
    "sources.partners.rate_per_week": 9,
    "sdr.headcount": 2,
    "sales.ae_count": 6,
    "horizon.length": "120w",
    "horizon.warmup": "16w",
    "horizon.history": "52w",
}
SALESFORCE_STAGES = {
    "discovery": "Qualification",
    "demo": "Needs Analysis",
    "solution": "Needs Analysis",
    "proposal": "Proposal/Price Quote",
    "commit": "Negotiation/Review",
}


def write(shape: str, seed: int, rename: dict[str, str]) -> None:
    scenario = funnelsim.load_scenario(policy="misaligned", overrides=COMPANY)
    result = funnelsim.simulate(scenario, seed=seed, events=True)
    tables = crm_export(scenario, result.ledger, result.events).shaped(shape)
    folder = HERE / shape  # beside its mapping file, crm.yaml
    folder.mkdir(exist_ok=True)
    for name, table in tables.items():
        stage = SHAPES[shape].columns[name].get("stage")
        if stage in table:
            table[stage] = table[stage].replace(rename)
        with gzip.open(folder / f"{SHAPES[shape].files[name]}.gz", "wt", newline="") as out:
            table.to_csv(out, index=False)


if __name__ == "__main__":
    write("hubspot", seed=11, rename={})
    write("salesforce", seed=12, rename=SALESFORCE_STAGES)
