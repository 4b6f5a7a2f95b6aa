"""The deployments motcua declares on its Prefect server (``motcua serve`` serves them; ``motcua
up`` starts it with the service), so that every flow can be seen, scheduled and started from the
Prefect UI:

- ``fixity-audit/nightly``: 01:30 Asia/Ho_Chi_Minh every night;
- ``nightly-kpis/nightly``: 00:30 Asia/Ho_Chi_Minh every night, yesterday's KPIs (flows/kpi.py);
- ``digitize-dossier/by-hand``: digitize a dossier's files not processed yet, now (parameter
  ``dossier_code``), e.g. after fixing a TSA outage that left documents in ``sign_pending``;
- ``intake-watch/once``: one look at the intake bucket, opening the rounds that are due and
  handing them on (the long-running watcher, ``motcua watch``, does the same every second).

Runs of these deployments start in a fresh process of the machine that serves them (Prefect's
runner): right for a nightly audit or an occasional run by hand, too slow for every dossier
(seconds of start-up each). Every dossier dropped into intake therefore goes to Prefect's task
workers instead (flows/service.py); docs/operations.md gives the measurement.
"""

from __future__ import annotations

from motcua.flows.digitize import digitize_dossier
from motcua.flows.fixity import nightly_deployment
from motcua.flows.kpi import nightly_deployment as nightly_kpis_deployment
from motcua.flows.service import intake_watch

NAMES = ("fixity-audit/nightly", "nightly-kpis/nightly", "digitize-dossier/by-hand", "intake-watch/once")


def deployments() -> list:
    return [
        nightly_deployment(),
        nightly_kpis_deployment(),
        digitize_dossier.to_deployment(
            name="by-hand",
            description="Digitize the files of intake/<dossier_code>/ that no run has taken yet.",
            parameters={"dossier_code": ""},
            tags=["motcua"],
        ),
        intake_watch.to_deployment(
            name="once",
            description="One look at the intake bucket: open the rounds that are due and hand "
            "them to the workers.",
            parameters={"max_seconds": 0.0},
            tags=["motcua"],
        ),
    ]
