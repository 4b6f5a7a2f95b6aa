"""The Prefect UI shows what a run did: headless Chromium (Debian's ``chromium``, driven by
Playwright) opens the stack's UI, finds a processed dossier's run by its name and opens the run's
markdown artifact, which must show the dossier code and the archive key of the archived document.

Prefect 3.9.1 serves two UIs; ``/`` redirects a browser without a saved preference to the default
one, v2 at ``/v2/`` (v1 stays at ``/``). The test goes through ``/`` as a user would and checks
that it landed on v2, whose selectors it uses.

The screenshot of the artifact page is kept in ``test-artifacts/`` (git-ignored); on failure a
screenshot of whatever page was shown is kept there instead, as ``*-failure.png``.

Playwright's own browser download is never used (``playwright install`` cannot work here): the
browser is ``/usr/bin/chromium``, and the test fails, never skips, if it is missing. Playwright
gives each launch a fresh temporary profile (``--user-data-dir``) and removes it on close. The
page may only reach the stack's server: the v2 UI's calls to its analytics service are aborted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from motcua.agencies import agency_on
from motcua.flows.launch import digitize_files
from motcua.infra.state import prefect_ui_url
from motcua.samples import render
from motcua.samples.documents import application_form

CHROMIUM = Path("/usr/bin/chromium")
# platform notes, "Browser": root needs --no-sandbox; the rest keeps an offline headless run quiet
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SHOT = ARTIFACTS / "prefect-ui-artifact.png"
FAILURE_SHOT = ARTIFACTS / "prefect-ui-artifact-failure.png"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def chromium() -> Path:
    assert CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK), (
        f"{CHROMIUM} is missing: the UI test needs Debian's chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def processed(stack_settings, tmp_path_factory):
    """One small dossier (one page at 150 dpi) digitized in this process on the session stack."""
    agency = agency_on("stnmt-soctrang", dt.datetime.now(dt.UTC)).code
    code = f"000.00.20.{agency}-{dt.datetime.now(dt.UTC):%y%m%d}-0801"
    page = render.render_page(
        application_form("Trần Thị Bích", "094185004321", "ấp Phú Hữu, xã Long Phú", "3",
                         dt.date(2026, 11, 22)), dpi=150)
    scan = render.save_png(page, tmp_path_factory.mktemp("ui-dossier") / "don.png")
    return code, digitize_files(stack_settings, code, [scan])


def _artifact_key(code: str) -> str:
    return "digitize-" + "".join(c if c.isalnum() else "-" for c in code.lower())


def _screenshot(page: Page | None, path: Path) -> None:
    if page is None:
        print(f"no page to take {path.name} of")
        return
    try:
        page.screenshot(path=path, full_page=True)
        print(f"screenshot: {path}")
    except Exception as exc:  # evidence is best effort: never hide the test's own error
        print(f"screenshot {path} failed: {exc!r}")


def test_the_prefect_ui_shows_the_artifact_of_a_processed_dossier(chromium, stack_settings, processed):
    code, outcome = processed
    assert outcome.ok, outcome.to_json()
    (doc,) = outcome.documents
    assert doc.status == "archived" and doc.archive_key and outcome.flow_run_id
    ui = prefect_ui_url(stack_settings).rstrip("/")
    ARTIFACTS.mkdir(exist_ok=True)
    for old in (SHOT, FAILURE_SHOT):
        old.unlink(missing_ok=True)

    page = None
    # Chromium puts its singleton socket in $TMPDIR; a socket path is limited to 107 bytes, which
    # a long TMPDIR (CI's clone under a long Vietnamese path) exceeds: give it a short one.
    short_tmp = tempfile.mkdtemp(prefix="ui-", dir="/tmp" if len(tempfile.gettempdir()) > 40 else None)
    with sync_playwright() as p, contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, short_tmp, ignore_errors=True)
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
                                    env={**os.environ, "TMPDIR": short_tmp})
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route(lambda url: not url.startswith(ui + "/"), lambda route: route.abort())
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)

            page.goto(ui + "/")  # the server redirects to the default UI, which shows its dashboard
            expect(page).to_have_url(re.compile("^" + re.escape(ui) + "/v2/"), timeout=TIMEOUT_MS)
            page.get_by_role("link", name="Runs", exact=True).first.click()
            page.get_by_role("textbox", name="Search by flow run name").fill(code)
            # the search is debounced: wait until the list is the one filtered by it
            expect(page).to_have_url(re.compile(r"[?&]flow-run-search=" + re.escape(code) + r"(&|$)"),
                                     timeout=TIMEOUT_MS)
            page.get_by_role("link", name=f"digitize/{code}", exact=True).click()
            expect(page).to_have_url(re.compile(rf"/v2/runs/flow-run/{outcome.flow_run_id}\b"),
                                     timeout=TIMEOUT_MS)

            page.get_by_role("tab", name="Artifacts").click()
            page.get_by_role("link").filter(has_text=_artifact_key(code)).click()
            expect(page).to_have_url(re.compile(r"/v2/artifacts/artifact/[0-9a-f-]{36}"),
                                     timeout=TIMEOUT_MS)
            # rendered markdown, not its source: a heading and a table cell
            expect(page.get_by_role("heading", name=f"Hồ sơ {code}", exact=True)).to_be_visible(
                timeout=TIMEOUT_MS)
            expect(page.get_by_role("cell", name=doc.archive_key, exact=True)).to_be_visible(
                timeout=TIMEOUT_MS)
            _screenshot(page, SHOT)
        except BaseException:
            _screenshot(page, FAILURE_SHOT)
            raise
        finally:
            browser.close()
    assert SHOT.is_file()
