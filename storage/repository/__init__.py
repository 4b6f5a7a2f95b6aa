"""Every row read and write on the schema, in one place: ``from motcua.storage import
repository`` and call ``repository.<function>``.

Functions take the session first and everything else by keyword, and never commit: the caller
owns the transaction, so "document archived + step completed" or "identifiers + reuse entry +
indexed" is one atomic change. A step opens one session (:func:`motcua.storage.db.open_session`),
records its start, does its work, and commits its writes together with its completion.

The functions live in modules by what they touch (dossiers, documents, steps, intake rounds);
this package is the one interface to them.
"""

from motcua.storage.repository.documents import (
    ArchivedFacts,
    ReuseFacts,
    add_document,
    archived_documents,
    forget_index,
    get_document,
    get_document_by_key,
    mark_archived,
    mark_indexed,
    mark_quarantined,
    mark_sign_pending,
    record_renewal,
    record_submitted_signatures,
    submitted_signatures,
)
from motcua.storage.repository.dossiers import get_dossier, register_dossier
from motcua.storage.repository.kpi import count as count_kpis
from motcua.storage.repository.kpi import explain as explain_kpi
from motcua.storage.repository.kpi import save_snapshots as save_kpi_snapshots
from motcua.storage.repository.kpi import step_durations
from motcua.storage.repository.records import Imported, put_imported
from motcua.storage.repository.reuse import add_reuse_event, held_paper, held_papers, reuse_events
from motcua.storage.repository.rounds import (
    SeenObject,
    Waiting,
    beat_round,
    claim_next_round,
    claim_round,
    finish_round,
    get_round,
    mark_rung,
    open_round,
    reclaim_silent_rounds,
    record_drops,
    ring_again,
    round_holding,
    round_keys,
    rounds_of,
    rounds_of_codes,
    set_round_flow_run,
    unrung_rounds,
    waiting_files,
)
from motcua.storage.repository.routing import (
    add_handoff,
    change_status,
    documents_of,
    handoffs,
    last_handoffs_to,
    mark_received,
    never_handed,
    set_due,
    status_changes,
    step_events_of,
)
from motcua.storage.repository.search import RANK_AT_MOST, Filters, Found, Hit, search, store_text
from motcua.storage.repository.steps import finish_step, start_step, steps_of

__all__ = [
    "ArchivedFacts", "SeenObject", "Waiting", "add_document", "archived_documents", "beat_round",
    "claim_next_round", "claim_round", "finish_round", "finish_step", "forget_index",
    "get_document", "get_document_by_key", "get_dossier", "get_round", "mark_archived",
    "mark_indexed", "mark_quarantined", "mark_rung", "mark_sign_pending", "open_round",
    "reclaim_silent_rounds", "record_drops", "ring_again", "record_renewal", "record_submitted_signatures", "register_dossier",
    "round_holding", "round_keys", "rounds_of", "rounds_of_codes", "set_round_flow_run", "start_step", "steps_of",
    "submitted_signatures", "unrung_rounds", "waiting_files",
    "add_handoff", "change_status", "documents_of", "handoffs", "last_handoffs_to",
    "mark_received", "never_handed", "set_due", "status_changes", "step_events_of",
    "ReuseFacts", "add_reuse_event", "held_paper", "held_papers", "reuse_events",
    "RANK_AT_MOST", "Filters", "Found", "Hit", "search", "store_text",
    "count_kpis", "explain_kpi", "save_kpi_snapshots", "step_durations", "Imported", "put_imported",
]
