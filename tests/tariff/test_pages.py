"""The tariff in the console: the lodge form's look-up, by code and by words, from this
node's schedule; officers and admins browsing it; the admin's schedule import as a job."""

from __future__ import annotations

import re
import time

from tests.nodes import NodeClient
from tests.web.console import ConsoleClient, console_as, console_client


def test_the_lookup_finds_lines_by_code_and_by_words(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    by_code = trader.get("/tariff/lookup?q=0901.11&field=f-items-0-commodity_code")
    assert 'data-fill-value="09011100"' in by_code.text
    assert 'data-fill-target="f-items-0-commodity_code"' in by_code.text
    by_words = trader.get("/tariff/lookup", params={"name": "items-0-commodity_code",
                                                     "items-0-commodity_code": "coffee"})
    assert 'data-fill-value="0901' in by_words.text
    nothing = trader.get("/tariff/lookup?q=zzzzqqq")
    assert "No tariff line matches" in nothing.text


def test_the_lookup_refuses_bad_input_and_strangers(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    # A description typed past the search's 100 characters is cut, not refused (the look-up
    # follows the description field); a query no form sends is refused.
    long = trader.get("/tariff/lookup", params={"q": "coffee " + "x" * 200})
    assert long.status_code == 200 and "<html" not in long.text
    assert trader.get("/tariff/lookup", params={"q": "x" * 601}).status_code == 422
    odd = trader.get("/tariff/lookup", params={"q": "coffee", "field": "a\"><script>"})
    assert "<script>" not in odd.text and 'data-fill-target=""' in odd.text
    assert console_client(node).get("/tariff/lookup?q=coffee").status_code == 303


# ---------------------------------------------------------------------------------------------
# Browsing the tariff, and the admin's schedule import as a background job

HEADER = "code,description,unit,valid_from,valid_to,mfn,atiga,vat,excise,reference_unit_value\n"
GOOD_LINES = (
    "0902.10.00,Green tea in packings of 3 kg or less,kg,2022-01-01,,30%,0%,10%,,\n"
    "0902.20.00,Other green tea,kg,2022-01-01,,25%,0%,10%,,\n"
)
BAD_LINE = "0910.11.00,Ginger neither crushed nor ground,kg,2022-01-01,,12 percent,0%,10%,,\n"
JOB = re.compile(r"^/jobs/([0-9a-f]+)$")


def followed(client: ConsoleClient, location: str, timeout: float = 15.0) -> str:
    """The job page's progress fragment, polled as the page does, until the job ends."""
    path = JOB.match(location)
    assert path, location
    page = client.get(location)
    assert page.status_code == 200 and "<progress" in page.text and 'id="job-progress"' in page.text
    deadline = time.monotonic() + timeout
    while True:
        fragment = client.get(f"{location}/progress")
        assert fragment.status_code == 200
        if 'data-state="done"' in fragment.text or 'data-state="failed"' in fragment.text:
            assert "hx-trigger" not in fragment.text  # a finished job stops refreshing
            return fragment.text
        assert "hx-trigger=\"every 1s\"" in fragment.text
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.05)


def upload(client: ConsoleClient, schedule: str) -> str:
    answer = client.post_form("/tariff/import", {},
                              files={"file": ("VN.csv", schedule.encode(), "text/csv")})
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_officers_browse_the_schedule_and_the_nomenclature_by_code_and_words(
    node: NodeClient,
) -> None:
    officer = console_as(node, "officer")
    by_code = officer.get("/tariff", params={"q": "0901.11"})
    assert by_code.status_code == 200
    assert 'data-code="09011100"' in by_code.text and "0901.11.00" in by_code.text
    assert 'id="nomenclature"' in by_code.text and 'data-code="090111"' in by_code.text
    by_words = officer.get("/tariff", params={"q": "coffee"})
    assert 'data-code="0901' in by_words.text and "%" in by_words.text  # its rates
    everything = officer.get("/tariff")
    assert "/tariff?q=&amp;offset=50" in everything.text  # more than a page: a next page
    assert 'href="/tariff"' in everything.text  # in the menu
    assert 'href="/tariff/import"' not in everything.text  # the import is the admin's
    assert console_as(node, "trader").get("/tariff").status_code == 403


def test_an_admin_imports_a_schedule_and_follows_it_to_every_bad_line(
    node: NodeClient,
) -> None:
    node.opened.start()  # the job runner (the app's lifespan starts it when served)
    try:
        admin = console_as(node, "admin")
        form = admin.get("/tariff/import")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        assert 'name="csrf_token"' in form.text

        # One bad line: nothing is stored (all or nothing, as by the API), and the job's
        # page lists the bad line at its place.
        refused = followed(admin, upload(admin, HEADER + GOOD_LINES + BAD_LINE))
        assert 'data-state="failed"' in refused
        assert "line.4.mfn" in refused and "12 percent" in refused
        assert "line.2" not in refused and "line.3" not in refused
        assert 'data-code="09021000"' not in admin.get("/tariff", params={"q": "0902"}).text

        # The good lines alone: imported, the progress bar full, the lines in the schedule.
        imported = followed(admin, upload(admin, HEADER + GOOD_LINES))
        assert 'data-state="done"' in imported
        assert '<progress max="2" value="2">' in imported and "2 lines imported" in imported
        schedule = admin.get("/tariff", params={"q": "green tea"}).text
        assert 'data-code="09021000"' in schedule and 'data-code="09022000"' in schedule
        assert "30%" in schedule
    finally:
        node.opened.stop()


def test_only_an_admin_imports_and_reads_the_import(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    assert trader.get("/tariff/import").status_code == 403
    posted = trader.post_form("/tariff/import", {},
                              files={"file": ("VN.csv", (HEADER + GOOD_LINES).encode())})
    assert posted.status_code == 403
    admin = console_as(node, "admin")
    location = upload(admin, HEADER + GOOD_LINES)
    assert trader.get(location).status_code == 404  # another user's job: as if none
    assert trader.get(f"{location}/progress").status_code == 404
    queued = admin.get(location)  # no runner here: the job waits, and its page refreshes
    assert queued.status_code == 200 and 'data-state="queued"' in queued.text
    assert f'hx-get="{location}/progress" hx-trigger="every 1s"' in queued.text
    without_csrf = admin.post("/tariff/import", files={"file": ("VN.csv", b"x")})
    assert without_csrf.status_code == 403
    empty = admin.post_form("/tariff/import", {"replace": "no"})
    assert empty.status_code == 422 and "choose the schedule file" in empty.text
