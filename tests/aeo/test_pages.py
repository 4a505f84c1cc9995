"""The AEO pages of the console: the trader applies and follows its audit and authorisation;
officers validate (findings, visits, the decision), keep the register (suspend, reinstate,
revoke) and read what partners told; an admin records an arrangement. With the role checks,
a refusal of the room shown on its page (never a 500), and every field bounded."""

from __future__ import annotations

import re
from datetime import timedelta

from singlewindow.access import services as access
from singlewindow.access.model import Role
from singlewindow.aeo.model import NAME_LIMIT, TEXT_LIMIT, AeoStatus, ApplicationStatus
from singlewindow.aeo.repository import ApplicationRow, OperatorRow
from singlewindow.core.clock import utcnow
from tests.nodes import NodeClient
from tests.web.console import ConsoleClient, console_as, console_client

CRITERIA = ("compliance_record", "records_management", "financial_solvency", "safety_security")


def application_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Saigon Coffee Export JSC", "address": "12 Ton Duc Thang, District 1, HCMC",
        "types": ["importer_exporter", "warehouse_operator"],
        "site_name_0": "Cat Lai warehouse", "site_address_0": "Cat Lai port, Thu Duc",
        "site_name_1": "Head office", "site_address_1": "12 Ton Duc Thang",
        "consent": "yes",
        **{f"sa_{c}": f"How we meet the {c.replace('_', ' ')}" for c in CRITERIA},
    }
    form.update(changes)
    return form


def apply(trader: ConsoleClient) -> str:
    answer = trader.post_form("/aeo/apply", application_form())
    assert answer.status_code == 303, answer.text
    page = trader.get("/aeo").text
    found = re.search(r'data-number="(\w+)" data-status="submitted"', page)
    assert found, page
    return found.group(1)


def validated(officer: ConsoleClient, number: str, start: bool = True) -> None:
    """Started, every criterion found met, a site visited."""
    if start:
        assert officer.post_form(f"/aeo/applications/{number}/validation").status_code == 303
    for criterion in CRITERIA:
        answer = officer.post_form(f"/aeo/applications/{number}/findings",
                                   {"criterion": criterion, "met": "yes",
                                    "note": f"{criterion} checked in the books"})
        assert answer.status_code == 303, answer.text
    answer = officer.post_form(f"/aeo/applications/{number}/visits", {
        "site": "Cat Lai warehouse", "on": utcnow().date().isoformat(),
        "visit_note": "fenced, CCTV, sealed containers"})
    assert answer.status_code == 303, answer.text


def granted(node: NodeClient) -> tuple[ConsoleClient, ConsoleClient, str]:
    trader, officer = console_as(node, "trader"), console_as(node, "officer")
    number = apply(trader)
    validated(officer, number)
    answer = officer.post_form(f"/aeo/applications/{number}/decision",
                               {"decision": "grant", "reason": "all criteria met"})
    assert answer.status_code == 303, answer.text
    return trader, officer, number


def status_of(node: NodeClient, operator: str) -> str:
    with node.opened.database.unit_of_work() as session:
        row = session.get(OperatorRow, operator)
        assert row is not None
        return row.status


def test_each_page_renders_for_its_role_and_the_menu_names_them(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    page = trader.get("/aeo")
    assert page.status_code == 200
    assert 'id="apply-form"' in page.text and 'href="/aeo"' in page.text
    assert f'name="operator" value="{node.users.trader_party}" readonly' in page.text
    assert 'href="/aeo/register"' not in page.text  # not in the trader's menu
    assert len(re.findall(r'name="site_name_\d"', page.text)) == 5
    officer = console_as(node, "officer")
    for path in ("/aeo/applications", "/aeo/register", "/aeo/mra",
                 "/aeo/register?status=suspended", "/aeo/mra/partners/TH"):
        answer = officer.get(path)
        assert answer.status_code == 200, (path, answer.text)
    menu = officer.get("/aeo/applications").text
    assert all(f'href="{p}"' in menu for p in ("/aeo/applications", "/aeo/register", "/aeo/mra"))
    assert officer.get("/aeo").status_code == 303  # officers go to what waits for them
    assert 'id="arrangement-form"' not in officer.get("/aeo/mra").text  # an admin's
    assert 'id="arrangement-form"' in console_as(node, "admin").get("/aeo/mra").text


def test_a_trader_cannot_see_the_officers_pages(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    for path in ("/aeo/applications", "/aeo/register", "/aeo/mra", "/aeo/mra/partners/TH",
                 f"/aeo/register/{node.users.trader_party}"):
        assert trader.get(path).status_code == 403, path
    assert console_as(node, "issuer").get("/aeo").status_code == 403
    assert console_as(node, "officer").post_form("/aeo/apply", application_form()
                                                 ).status_code == 403


def test_the_trader_applies_and_the_application_appears(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    number = apply(trader)
    page = trader.get("/aeo").text
    assert 'id="apply-form"' not in page and 'id="apply-closed"' in page
    assert all(f'data-criterion="{c}" data-met=""' in page for c in CRITERIA)
    with node.opened.database.unit_of_work() as session:
        row = session.get(ApplicationRow, number)
        assert row is not None and row.operator == node.users.trader_party
        assert [s["name"] for s in row.sites] == ["Cat Lai warehouse", "Head office"]
        assert row.consent_to_share and row.types == ["importer_exporter",
                                                      "warehouse_operator"]
    officer = console_as(node, "officer")
    assert f'data-number="{number}"' in officer.get("/aeo/applications").text
    # a second one while it is open: the room's refusal, on the page
    again = trader.post_form("/aeo/apply", application_form())
    assert again.status_code == 409 and 'id="refusal"' in again.text


def test_a_form_with_errors_shows_them_beside_the_fields_and_keeps_nothing(
        node: NodeClient) -> None:
    trader = console_as(node, "trader")
    answer = trader.post_form("/aeo/apply", application_form(
        name="", types=[], site_name_0="", site_address_0="", site_name_1="Only a name",
        site_address_1="", sa_safety_security="   "))
    assert answer.status_code == 422
    assert 'id="err-site_address_1">a site has its name and its address' in answer.text
    assert 'value="Only a name"' in answer.text  # what was typed, shown again
    answer = trader.post_form("/aeo/apply", application_form(name="", types=[],
                                                               sa_safety_security=" "))
    assert answer.status_code == 422
    for field in ("name", "types", "sa_safety_security"):
        assert re.search(rf'id="err-{field}">\w', answer.text), field
    # the operator is the trader's own, whatever the form says
    apply_as_other = trader.post_form("/aeo/apply", application_form(operator="VNOTHER0001"))
    assert apply_as_other.status_code == 303
    with node.opened.database.unit_of_work() as session:
        operators = [r.operator for r in session.query(ApplicationRow)]
    assert operators == [node.users.trader_party]


def test_every_field_has_the_models_limit(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    page = trader.get("/aeo").text
    for field in ("name", "address", "site_name_4", "site_address_4"):
        assert re.search(rf'name="{field}"[^>]*maxlength="{NAME_LIMIT}"', page), field
    for criterion in CRITERIA:
        assert re.search(rf'name="sa_{criterion}"[^>]*maxlength="{TEXT_LIMIT}"', page)
    number = apply(trader)
    officer = console_as(node, "officer")
    officer.post_form(f"/aeo/applications/{number}/validation")
    page = officer.get(f"/aeo/applications/{number}").text
    for name in ("note", "visit_note", "reason"):
        assert re.search(rf'name="{name}"[^>]*maxlength="{TEXT_LIMIT}"', page), name
    admin = console_as(node, "admin")
    page = admin.get("/aeo/mra").text
    assert re.search(r'name="id"[^>]*maxlength="40"', page)
    assert re.search(rf'name="name"[^>]*maxlength="{NAME_LIMIT}"', page)
    every_input = re.findall(r"<(?:input|textarea)(?![^>]*type=\"(?:hidden|checkbox|radio)\")"
                             r"[^>]*>", page)
    assert every_input and all("maxlength" in i for i in every_input), every_input


def test_the_officers_findings_visit_and_grant_change_the_application(node: NodeClient) -> None:
    trader, officer = console_as(node, "trader"), console_as(node, "officer")
    number = apply(trader)
    page = officer.get(f"/aeo/applications/{number}").text
    assert 'id="start-form"' in page and 'id="finding-forms"' not in page
    # grant before the validation: disabled, the room refuses it if sent anyway
    assert re.search(r'id="grant-button" disabled', page)
    early = officer.post_form(f"/aeo/applications/{number}/decision",
                              {"decision": "grant", "reason": "too early"})
    assert early.status_code == 409 and 'id="refusal"' in early.text
    assert officer.post_form(f"/aeo/applications/{number}/validation").status_code == 303
    page = officer.get(f"/aeo/applications/{number}").text
    assert 'data-status="validating"' in page and 'id="missing-for-grant"' in page
    assert "no on-site visit is recorded" in page
    assert re.search(r'id="grant-button" disabled', page)
    answer = officer.post_form(f"/aeo/applications/{number}/findings", {
        "criterion": "financial_solvency", "met": "no", "note": "accounts of 2025 missing"})
    assert answer.status_code == 303
    page = officer.get(f"/aeo/applications/{number}").text
    assert 'data-criterion="financial_solvency" data-met="no"' in page
    unsaid = officer.post_form(f"/aeo/applications/{number}/findings", {
        "criterion": "safety_security", "note": "forgot to say"})
    assert unsaid.status_code == 422
    assert re.search(r'id="err-met_safety_security">\w', unsaid.text)
    assert "forgot to say" in unsaid.text
    unknown = officer.post_form(f"/aeo/applications/{number}/findings", {
        "criterion": "charm", "met": "yes", "note": "x"})
    assert unknown.status_code == 422 and 'id="refusal"' in unknown.text
    assert "the financial solvency was found not met" in page
    # the trader reads the finding addressed to it
    assert "accounts of 2025 missing" in trader.get("/aeo").text
    # a visit of a site the application does not name, or in the future: refused, shown
    wrong = officer.post_form(f"/aeo/applications/{number}/visits", {
        "site": "Elsewhere", "on": utcnow().date().isoformat(), "visit_note": "x"})
    assert wrong.status_code == 422 and 'id="err-site">&#39;Elsewhere&#39; is not' in wrong.text
    future = officer.post_form(f"/aeo/applications/{number}/visits", {
        "site": "Head office", "on": (utcnow().date() + timedelta(days=2)).isoformat(),
        "visit_note": "x"})
    assert future.status_code == 422 and "once it took place" in future.text
    validated(officer, number, start=False)  # every criterion met now, a site visited
    page = officer.get(f"/aeo/applications/{number}").text
    assert 'data-site="Cat Lai warehouse"' in page and 'id="missing-for-grant"' not in page
    assert not re.search(r'id="grant-button" disabled', page)
    no_reason = officer.post_form(f"/aeo/applications/{number}/decision",
                                  {"decision": "grant", "reason": ""})
    assert no_reason.status_code == 422 and re.search(r'id="err-reason">\w', no_reason.text)
    answer = officer.post_form(f"/aeo/applications/{number}/decision",
                               {"decision": "grant", "reason": "all criteria met"})
    assert answer.status_code == 303
    assert 'data-decision="granted"' in officer.get(f"/aeo/applications/{number}").text
    assert status_of(node, node.users.trader_party) == AeoStatus.GRANTED.value
    page = trader.get("/aeo").text
    assert 'id="aeo-status" data-status="granted"' in page
    assert f'data-number="{number}" data-status="granted"' in page
    assert 'data-consent="yes"' in page


def test_a_suspension_changes_the_status_and_shows_in_the_history(node: NodeClient) -> None:
    _, officer, _ = granted(node)
    operator = node.users.trader_party
    page = officer.get(f"/aeo/register/{operator}").text
    assert 'id="suspended-form"' in page and 'id="revoked-form"' in page
    assert 'id="reinstated-form"' not in page  # the status table: granted → suspended, revoked
    no_reason = officer.post_form(f"/aeo/register/{operator}/status",
                                  {"change": "suspended", "reason": " "})
    assert no_reason.status_code == 422 and re.search(r'id="err-reason_suspended">\w',
                                                      no_reason.text)
    answer = officer.post_form(f"/aeo/register/{operator}/status",
                               {"change": "suspended", "reason": "seals found broken"})
    assert answer.status_code == 303
    assert status_of(node, operator) == AeoStatus.SUSPENDED.value
    page = officer.get(f"/aeo/register/{operator}").text
    assert 'data-status="suspended"' in page and 'data-change="suspended"' in page
    assert "seals found broken" in page
    assert 'id="reinstated-form"' in page and 'id="suspended-form"' not in page
    listed = officer.get("/aeo/register?status=suspended").text
    assert f'data-operator="{operator}"' in listed
    assert f'data-operator="{operator}"' not in officer.get("/aeo/register?status=granted").text
    assert officer.get("/aeo/register?status=nonsense").status_code == 422
    # a move the table refuses (sent by hand): the room's 409, on the page
    again = officer.post_form(f"/aeo/register/{operator}/status",
                              {"change": "suspended", "reason": "twice"})
    assert again.status_code == 409 and 'id="refusal"' in again.text


def test_a_trader_posting_to_the_officers_suspension_is_refused_and_nothing_changes(
        node: NodeClient) -> None:
    trader, officer, number = granted(node)
    operator = node.users.trader_party
    answer = trader.post_form(f"/aeo/register/{operator}/status",
                              {"change": "revoked", "reason": "I revoke myself"})
    assert answer.status_code == 403
    for path, data in ((f"/aeo/applications/{number}/decision",
                        {"decision": "refuse", "reason": "x"}),
                       ("/aeo/mra", {"id": "X-MRA", "name": "x", "partners": ["TH"],
                                     "starts_on": "2026-01-01", "benefits": ["priority"],
                                     "roles": ["importer"]})):
        assert trader.post_form(path, data).status_code == 403, path
    assert officer.post_form("/aeo/mra", {"id": "X-MRA"}).status_code == 403  # admins'
    without_token = officer.post(f"/aeo/register/{operator}/status",
                                 data={"change": "suspended", "reason": "no token"})
    assert without_token.status_code == 403
    assert status_of(node, operator) == AeoStatus.GRANTED.value
    assert 'data-change="revoked"' not in officer.get(f"/aeo/register/{operator}").text


def test_the_trader_withdraws_and_gives_back_its_consent(node: NodeClient) -> None:
    trader, officer, _ = granted(node)
    assert trader.post_form("/aeo/consent", {"given": "no"}).status_code == 303
    page = trader.get("/aeo").text
    assert 'data-consent="no"' in page and 'data-change="consent_withdrawn"' in page
    twice = trader.post_form("/aeo/consent", {"given": "no"})
    assert twice.status_code == 409 and "already withdrawn" in twice.text
    assert trader.post_form("/aeo/consent", {"given": "yes"}).status_code == 303
    assert 'data-consent="yes"' in trader.get("/aeo").text


def test_the_applicant_withdraws_its_open_application(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    number = apply(trader)
    assert trader.post_form(f"/aeo/applications/{number}/withdraw").status_code == 303
    page = trader.get("/aeo").text
    assert f'data-number="{number}" data-status="withdrawn"' in page
    assert 'id="apply-form"' in page  # it may apply again
    with node.opened.database.unit_of_work() as session:
        row = session.get(ApplicationRow, number)
        assert row is not None and row.status == ApplicationStatus.WITHDRAWN.value


def test_an_admin_records_an_arrangement_and_partners_are_listed(node: NodeClient) -> None:
    admin = console_as(node, "admin")
    bad = admin.post_form("/aeo/mra", {"id": "x", "name": "", "starts_on": "someday",
                                       "partners": ["TH"], "benefits": [], "roles": []})
    assert bad.status_code == 422 and re.search(r'id="err-starts_on">\w', bad.text)
    bad = admin.post_form("/aeo/mra", {"id": "x", "name": "", "starts_on": "2026-01-01",
                                       "benefits": [], "roles": []})
    assert bad.status_code == 422
    for field in ("id", "name", "partners", "benefits", "roles"):
        assert re.search(rf'id="err-{field}">\w', bad.text), field
    answer = admin.post_form("/aeo/mra", {
        "id": "ASEAN-AEO-MRA", "name": "ASEAN AEO Mutual Recognition Arrangement",
        "partners": ["TH", "SG"], "starts_on": "2026-01-01",
        "benefits": ["lower_risk_score", "priority"], "roles": ["importer", "exporter"]})
    assert answer.status_code == 303, answer.text
    page = console_as(node, "officer").get("/aeo/mra").text
    assert 'data-arrangement="ASEAN-AEO-MRA"' in page and "SG, TH, VN" in page
    assert 'data-administration="TH"' in page and 'data-administration="SG"' in page
    partner = console_as(node, "officer").get("/aeo/mra/partners/SG")
    assert partner.status_code == 200 and 'id="summary"' in partner.text
    again = admin.post_form("/aeo/mra", {
        "id": "ASEAN-AEO-MRA", "name": "Again", "partners": ["TH"], "starts_on": "2026-01-01",
        "benefits": ["priority"], "roles": ["importer"]})
    assert again.status_code == 409 and "already recorded" in again.text


def test_the_trader_page_speaks_vietnamese_and_unknown_things_are_404(node: NodeClient) -> None:
    trader = console_as(node, "trader")
    trader.post_form("/language", {"lang": "vi", "back": "/aeo"})
    page = trader.get("/aeo").text
    assert 'lang="vi"' in page and "Tư cách AEO" in page and "Đề nghị công nhận AEO" in page
    officer = console_as(node, "officer")
    assert officer.get("/aeo/applications/VNAEO2026999999").status_code == 404
    assert officer.get("/aeo/register/VNNOBODY0001").status_code == 404
    assert officer.post_form("/aeo/register/VNNOBODY0001/status",
                             {"change": "suspended", "reason": "x"}).status_code == 404
    # another trader never sees an application that is not its own
    number = apply(trader)
    access.create_user(node.opened.database, "other", Role.TRADER, party_id="VNOTHER0001")
    access.set_password(node.opened.database, "other", "other-sample-password")
    other = console_client(node)
    other.refresh_csrf()
    assert other.post_form("/login", {"username": "other",
                                      "password": "other-sample-password"}).status_code == 303
    assert number not in other.get("/aeo").text
