"""Routing rules on a real database (SQLite, migrated by Alembic): units and routes as data,
the working-day clock, every transition a unit may make and every one it may not.

The whole route on the running stack (a digitized dossier handed on by the desk, a result
through the pipeline, the CLI) is tests/test_routing.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, select

from motcua.agencies import agency_on
from motcua.errors import BadArguments, ConfigurationError, TransitionRefused, UnknownDossier
from motcua.manifest import DossierManifest
from motcua.services import dossier_view, routing
from motcua.services.control_sheet import render_html
from motcua.settings import Settings
from motcua.storage import repository
from motcua.storage.db import make_engine, migrate
from motcua.storage.models import Handoff, StatusChange
from motcua.times import VN_TZ, utcnow
from motcua.units import agency_units

LAND = "1.004227"  # MOTCUA → VPDK → THUE → VPDK → MOTCUA, 10 working days


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(data_dir=tmp_path)
    migrate(s.db_url)
    return s


def _dossier(settings: Settings, code: str, *, procedure: str | None = LAND,
             received_at: dt.datetime | None = None) -> None:
    received_at = received_at or utcnow()
    manifest = DossierManifest(code=code, procedure={"code": procedure},
                               applicant={"id": "094300001111", "name": "Lê Văn Tuyến"})
    with Session(make_engine(settings.db_url)) as session:
        repository.register_dossier(session, manifest=manifest,
                                    agency=agency_on(settings.agency, received_at), received_at=received_at)
        session.commit()


def _rows(settings: Settings, model, code: str):
    with Session(make_engine(settings.db_url)) as session:
        pk = repository.get_dossier(session, code=code).id
        return list(session.exec(select(model).where(model.dossier_id == pk)))


def _nothing_recorded(settings: Settings, code: str, call) -> TransitionRefused:
    before = (len(_rows(settings, Handoff, code)), len(_rows(settings, StatusChange, code)),
              [(h.received_at, h.received_by) for h in _rows(settings, Handoff, code)],
              dossier_view.show(settings, code)["status"])
    with pytest.raises(TransitionRefused) as refused:
        call()
    after = (len(_rows(settings, Handoff, code)), len(_rows(settings, StatusChange, code)),
             [(h.received_at, h.received_by) for h in _rows(settings, Handoff, code)],
             dossier_view.show(settings, code)["status"])
    assert after == before
    assert refused.value.exit_code == 2
    return refused.value


def test_the_shipped_routes_start_and_end_at_the_desk_and_cover_the_samples():
    units = agency_units("stnmt-soctrang")
    now = utcnow()
    codes = {r.code for r in units.routes_on(now)}
    assert {"1.004227", "1.010734"} <= codes  # the sample dossiers' procedures
    for r in units.routes_on(now):
        assert units.unit(r.units[0], now).kind == units.unit(r.units[-1], now).kind == "desk"
    assert units.route(LAND, now).total_days == 10


def test_a_units_file_that_breaks_the_rules_is_refused(tmp_path):
    bad = {"agencies": {"x": {"units": [{"code": "D", "name": "Desk", "kind": "desk", "valid_from": "2020-01-01"},
                                        {"code": "A", "name": "Division", "kind": "division", "valid_from": "2020-01-01"}],
                              "procedures": [{"code": "9.9", "name": "p", "valid_from": "2020-01-01",
                                              "steps": [{"unit": "D", "days": 1}, {"unit": "A", "days": 1}]}]}}}
    path = tmp_path / "units.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="must start and end at the one-stop desk"):
        agency_units("x", path)


def test_the_working_day_clock_stops_on_weekends_and_holidays():
    units = agency_units("stnmt-soctrang")
    friday = dt.datetime(2026, 11, 27, 10, 0, tzinfo=VN_TZ)
    assert units.add_working_days(friday, 1) == dt.datetime(2026, 11, 30, 10, 0, tzinfo=VN_TZ)
    assert units.add_working_days(friday, 0.5) == dt.datetime(2026, 11, 27, 22, 0, tzinfo=VN_TZ)
    saturday = dt.datetime(2026, 11, 28, 9, 0, tzinfo=VN_TZ)
    assert units.add_working_days(saturday, 1) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=VN_TZ)
    before_national_day = dt.datetime(2026, 8, 31, 8, 0, tzinfo=VN_TZ)  # 1 and 2/9 are holidays
    assert units.add_working_days(before_national_day, 1) == dt.datetime(2026, 9, 3, 8, 0, tzinfo=VN_TZ)


def test_a_whole_route_electronic_and_on_paper(settings):
    code = "RT-1"
    _dossier(settings, code)
    first = routing.start_route(settings, code)  # what the end of digitization does
    assert (first.from_unit, first.to_unit, first.mode, first.sent_by) == ("MOTCUA", "VPDK", "electronic", "motcua")
    assert routing.start_route(settings, code) is None  # once
    assert [i["dossier"] for i in dossier_view.inbox(settings, "VPDK")] == [code]
    assert dossier_view.inbox(settings, "VPDK")[0]["received_at"] is None
    routing.receive(settings, code, unit="VPDK", officer="Trần Thị Đất")
    routing.send(settings, code, unit="VPDK", officer="Trần Thị Đất", to="THUE", paper=True,
                 received_by="Cán bộ thuế", note="phiếu chuyển thông tin")
    assert dossier_view.inbox(settings, "VPDK") == []
    routing.send(settings, code, unit="THUE", officer="Cán bộ thuế", to="VPDK")
    routing.receive(settings, code, unit="VPDK", officer="Trần Thị Đất")
    routing.check_resolvable(settings, code, unit="VPDK", officer="Trần Thị Đất")
    routing.mark_resolved(settings, code, unit="VPDK", officer="Trần Thị Đất", results=["r1"])
    routing.send(settings, code, unit="VPDK", officer="Trần Thị Đất", to="MOTCUA")
    routing.receive(settings, code, unit="MOTCUA", officer="Nguyễn Văn Một Cửa")
    routing.return_result(settings, code, unit="MOTCUA", officer="Nguyễn Văn Một Cửa")

    view = dossier_view.show(settings, code)
    assert view["status"] == "returned" and view["resolved_at"] and view["returned_at"]
    assert view["on_time"] is True
    assert [(h["from"], h["to"], h["mode"]) for h in view["handoffs"]] == [
        ("MOTCUA", "VPDK", "electronic"), ("VPDK", "THUE", "paper"), ("THUE", "VPDK", "electronic"),
        ("VPDK", "MOTCUA", "electronic")]
    paper = view["handoffs"][1]
    assert paper["sent_at"] == paper["received_at"] and paper["received_by"] == "Cán bộ thuế"
    assert [s["unit"] for s in view["steps"]] == ["MOTCUA", "VPDK", "THUE", "VPDK", "MOTCUA"]
    assert not any(s["overdue"] for s in view["steps"])
    statuses = [e["to"] for e in view["events"] if e["kind"] == "status"]
    assert statuses == ["processing", "resolved", "returned"]
    sheet = render_html(view)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in sheet and "Cơ quan thuế" in sheet
    assert "giao nhận trên giấy" in sheet and "Đúng hạn" in sheet or "Trước hạn" in sheet


def test_every_refused_transition_records_nothing(settings):
    code = "RT-2"
    _dossier(settings, code)
    as_ = {"officer": "Phạm Văn Kiểm"}
    # before any handoff the desk holds it: nobody else may act
    _nothing_recorded(settings, code, lambda: routing.send(settings, code, unit="VPDK", to="LDS", **as_))
    _nothing_recorded(settings, code, lambda: routing.receive(settings, code, unit="VPDK", **as_))
    routing.start_route(settings, code)
    # sent to VPDK, not received: VPDK cannot send it on, THUE cannot receive it
    _nothing_recorded(settings, code, lambda: routing.send(settings, code, unit="VPDK", to="THUE", **as_))
    _nothing_recorded(settings, code, lambda: routing.receive(settings, code, unit="THUE", **as_))
    routing.receive(settings, code, unit="VPDK", **as_)
    refused = _nothing_recorded(settings, code, lambda: routing.receive(settings, code, unit="VPDK", **as_))
    assert "received it already" in refused.message
    # a unit that does not hold it; returned before it is resolved; resolved by a non-holder
    _nothing_recorded(settings, code, lambda: routing.send(settings, code, unit="MOTCUA", to="LDS", **as_))
    _nothing_recorded(settings, code, lambda: routing.change(
        settings, code, unit="LDS", to_status="refused", reason="x", **as_))
    _nothing_recorded(settings, code, lambda: routing.check_resolvable(settings, code, unit="LDS", **as_))
    routing.send(settings, code, unit="VPDK", to="MOTCUA", **as_)
    routing.receive(settings, code, unit="MOTCUA", **as_)
    refused = _nothing_recorded(settings, code, lambda: routing.return_result(settings, code, unit="MOTCUA", **as_))
    assert "not while it is processing" in refused.message
    # a refused dossier is off the path: nothing more happens to it
    routing.change(settings, code, unit="MOTCUA", to_status="refused", reason="không đủ điều kiện", **as_)
    _nothing_recorded(settings, code, lambda: routing.send(settings, code, unit="MOTCUA", to="VPDK", **as_))
    _nothing_recorded(settings, code, lambda: routing.change(
        settings, code, unit="MOTCUA", to_status="withdrawn", reason=None, **as_))
    _nothing_recorded(settings, code, lambda: routing.check_resolvable(settings, code, unit="MOTCUA", **as_))
    assert dossier_view.show(settings, code)["status"] == "refused"
    assert dossier_view.inbox(settings, "MOTCUA") == []
    # arguments that are wrong whatever the dossier's state
    with pytest.raises(BadArguments):
        routing.send(settings, code, unit="NOPE", to="VPDK", **as_)
    with pytest.raises(BadArguments):
        routing.receive(settings, code, unit="VPDK", officer="  ")
    with pytest.raises(BadArguments, match="needs a reason"):
        routing.change(settings, code, unit="MOTCUA", to_status="refused", reason="", **as_)
    with pytest.raises(UnknownDossier) as unknown:
        routing.receive(settings, "NO-SUCH", unit="VPDK", **as_)
    assert unknown.value.exit_code == 3


def test_a_supplement_request_restarts_the_clock_when_the_desk_sends_it_back(settings):
    code = "RT-3"
    _dossier(settings, code, received_at=utcnow() - dt.timedelta(days=3))
    routing.start_route(settings, code)
    routing.receive(settings, code, unit="VPDK", officer="A")
    routing.change(settings, code, unit="VPDK", officer="A", to_status="supplement_requested",
                   reason="thiếu bản sao CCCD")
    routing.send(settings, code, unit="VPDK", officer="A", to="MOTCUA")  # to ask the applicant
    assert dossier_view.show(settings, code)["status"] == "supplement_requested"
    routing.receive(settings, code, unit="MOTCUA", officer="B")
    due_before = dossier_view.show(settings, code)["due_at"]
    routing.send(settings, code, unit="MOTCUA", officer="B", to="VPDK")  # supplemented
    view = dossier_view.show(settings, code)
    assert view["status"] == "processing" and view["due_at"] > due_before
    changes = [(e["to"], e["reason"]) for e in view["events"] if e["kind"] == "status"]
    assert changes[-2:] == [("supplement_requested", "thiếu bản sao CCCD"),
                            ("processing", "hồ sơ đã được bổ sung")]


def test_a_late_step_and_a_late_resolution_are_marked(settings):
    code = "RT-4"
    _dossier(settings, code, received_at=utcnow() - dt.timedelta(days=30))  # 10 working days ago and more
    routing.start_route(settings, code)
    view = dossier_view.show(settings, code)
    assert view["steps"][0]["overdue"]  # the desk took a month to hand it on
    assert not view["steps"][1]["overdue"]  # VPDK's step has just begun
    routing.receive(settings, code, unit="VPDK", officer="A")
    routing.mark_resolved(settings, code, unit="VPDK", officer="A", results=["r"])
    view = dossier_view.show(settings, code)
    assert view["on_time"] is False and view["resolved_at"] > view["due_at"]
    (item,) = [i for i in dossier_view.inbox(settings, "VPDK") if i["dossier"] == code]
    assert item["overdue"] is False and item["received_at"]


def test_a_dossier_without_a_route_stays_with_the_desk(settings):
    code = "RT-5"
    _dossier(settings, code, procedure="bench")
    assert routing.start_route(settings, code) is None
    (item,) = [i for i in dossier_view.inbox(settings, "MOTCUA") if i["dossier"] == code]
    assert item["from"] is None and item["status"] == "received"
    routing.send(settings, code, unit="MOTCUA", officer="A", to="LDS", note="xin ý kiến")
    view = dossier_view.show(settings, code)
    assert view["status"] == "processing" and view["handoffs"][0]["due_at"] is None
    assert view["route"] is None and view["due_at"] is None


def test_two_officers_sending_at_once_give_one_handoff(settings):
    """Both read "VPDK holds it" and both take handoff number 2: the database keeps one."""
    from sqlalchemy.exc import IntegrityError

    code = "RT-6"
    _dossier(settings, code)
    routing.start_route(settings, code)
    routing.receive(settings, code, unit="VPDK", officer="A")
    engine = make_engine(settings.db_url)
    with Session(engine) as first, Session(engine) as second:
        pk = repository.get_dossier(first, code=code).id

        def add(session, to):
            repository.add_handoff(session, dossier_pk=pk, seq=2, from_unit="VPDK", to_unit=to,
                                   mode="electronic", step=None, sent_at=utcnow(), sent_by="A", due_at=None)
            session.commit()

        add(first, "LDS")
        with pytest.raises(IntegrityError):
            add(second, "THUE")
    assert [h.to_unit for h in _rows(settings, Handoff, code)] == ["VPDK", "LDS"]
    assert dossier_view.show(settings, code)["holder"] is None  # on its way to LDS
    _nothing_recorded(settings, code, lambda: routing.send(settings, code, unit="VPDK", officer="A", to="THUE"))
