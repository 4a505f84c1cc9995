"""The AEO rules without a database: the operator id, the application's content, the two
state tables (application, authorisation), the arrangement and whom it recognises."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from singlewindow.aeo.errors import InvalidApplication, StatusConflict
from singlewindow.aeo.model import (
    APPLICATION,
    AUTHORISATION,
    AeoStatus,
    ApplicationStatus,
    Arrangement,
    Authorisation,
    Benefit,
    Change,
    Criterion,
    Finding,
    PartnerOperator,
    SiteVisit,
    Validation,
    operator_problem,
    standing_of,
)
from singlewindow.risk.model import AeoRole
from tests.aeo.builders import ANSWERS, application

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


@pytest.mark.parametrize("text", ["THTRADER0001", "VN0101234567", "SG1"])
def test_an_operator_id_is_its_administration_and_a_national_number(text: str) -> None:
    assert operator_problem(text) is None


@pytest.mark.parametrize("text", ["", "TH", "th0001", "TH-0001", "XX0001", "TH" + "1" * 16,
                                  "1H0001"])
def test_an_operator_id_in_the_wrong_format_is_refused(text: str) -> None:
    assert operator_problem(text) is not None


def test_a_complete_application_has_no_problem() -> None:
    assert application().problems("TH") == []


def test_an_application_missing_a_criterion_names_it() -> None:
    answers = {c: t for c, t in ANSWERS.items() if c is not Criterion.SAFETY_SECURITY}
    problems = application(self_assessment=answers).problems("TH")
    assert [p.path for p in problems] == ["self_assessment.safety_security"]
    assert "safety and security" in problems[0].message


def test_an_application_goes_to_the_operators_own_administration() -> None:
    problems = application(operator="VN0101234567").problems("TH")
    assert [p.path for p in problems] == ["operator"]
    assert "own customs" in problems[0].message


def test_an_application_without_sites_or_types_or_with_blank_answers_is_refused() -> None:
    answers = dict(ANSWERS) | {Criterion.FINANCIAL_SOLVENCY: "  "}
    made = application(sites=(), types=(), self_assessment=answers)
    assert {p.path for p in made.problems("TH")} == {
        "sites", "types", "self_assessment.financial_solvency"}


def _validation(status: ApplicationStatus = ApplicationStatus.VALIDATING) -> Validation:
    return Validation("THAEO2026000001", status, ("Bangkok warehouse", "Ayutthaya mill"))


def _all_met(validation: Validation) -> None:
    for criterion in Criterion:
        validation.find(Finding(criterion, True, "checked on the records", "auditor", AT))


def test_a_grant_needs_every_criterion_found_met_and_a_visit() -> None:
    validation = _validation()
    with pytest.raises(StatusConflict, match="not audited yet"):
        validation.grant()
    _all_met(validation)
    with pytest.raises(StatusConflict, match="no on-site visit"):
        validation.grant()
    validation.visit(SiteVisit("Ayutthaya mill", TODAY, "seals and CCTV seen", "auditor"), TODAY)
    validation.grant()
    assert validation.status is ApplicationStatus.GRANTED


def test_a_criterion_found_not_met_stops_the_grant_and_the_latest_finding_counts() -> None:
    validation = _validation()
    _all_met(validation)
    validation.visit(SiteVisit("Bangkok warehouse", TODAY, "visited", "auditor"), TODAY)
    validation.find(Finding(Criterion.FINANCIAL_SOLVENCY, False, "arrears of duty", "a", AT))
    with pytest.raises(StatusConflict, match="financial solvency was found not met"):
        validation.grant()
    assert validation.status is ApplicationStatus.VALIDATING
    validation.find(Finding(Criterion.FINANCIAL_SOLVENCY, True, "arrears paid", "a", AT))
    validation.grant()


def test_a_visit_is_of_a_site_of_the_application_and_not_in_the_future() -> None:
    validation = _validation()
    with pytest.raises(InvalidApplication) as refused:
        validation.visit(SiteVisit("Elsewhere", date(2027, 1, 1), "x", "auditor"), TODAY)
    assert {p.path for p in refused.value.problems} == {"site", "on"}
    assert validation.visits == []


def test_findings_and_visits_only_while_validating() -> None:
    validation = _validation(ApplicationStatus.SUBMITTED)
    with pytest.raises(StatusConflict, match="while it is being validated"):
        validation.find(Finding(Criterion.COMPLIANCE_RECORD, True, "ok", "a", AT))
    validation.start()
    validation.find(Finding(Criterion.COMPLIANCE_RECORD, True, "ok", "a", AT))


# Every move of each table is tried: what the table allows happens, everything else is refused.
_APPLICATION_ALLOWED = {
    (ApplicationStatus.SUBMITTED, ApplicationStatus.VALIDATING),
    (ApplicationStatus.SUBMITTED, ApplicationStatus.REFUSED),
    (ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN),
    (ApplicationStatus.VALIDATING, ApplicationStatus.GRANTED),
    (ApplicationStatus.VALIDATING, ApplicationStatus.REFUSED),
    (ApplicationStatus.VALIDATING, ApplicationStatus.WITHDRAWN),
}


@pytest.mark.parametrize("current,wanted",
                         list(itertools.product(ApplicationStatus, ApplicationStatus)))
def test_the_application_state_table(current: ApplicationStatus,
                                     wanted: ApplicationStatus) -> None:
    assert APPLICATION.allows(current, wanted) == ((current, wanted) in _APPLICATION_ALLOWED)


def test_a_decided_application_cannot_be_decided_again() -> None:
    validation = _validation(ApplicationStatus.REFUSED)
    with pytest.raises(StatusConflict, match="is refused: it cannot become granted"):
        validation.grant()
    with pytest.raises(StatusConflict):
        validation.withdraw()


@pytest.mark.parametrize("status,change,after", [
    (AeoStatus.GRANTED, Change.SUSPENDED, AeoStatus.SUSPENDED),
    (AeoStatus.GRANTED, Change.REVOKED, AeoStatus.REVOKED),
    (AeoStatus.SUSPENDED, Change.REINSTATED, AeoStatus.GRANTED),
    (AeoStatus.SUSPENDED, Change.REVOKED, AeoStatus.REVOKED),
])
def test_the_authorisation_moves_the_table_allows(status: AeoStatus, change: Change,
                                                  after: AeoStatus) -> None:
    authorisation = Authorisation("THTRADER0001", status, consent=True, version=3)
    authorisation.change(change)
    assert authorisation.status is after and authorisation.version == 4


@pytest.mark.parametrize("status,change", [
    (AeoStatus.GRANTED, Change.REINSTATED),
    (AeoStatus.SUSPENDED, Change.SUSPENDED),
    (AeoStatus.REVOKED, Change.REVOKED),
    (AeoStatus.REVOKED, Change.REINSTATED),
    (AeoStatus.REVOKED, Change.SUSPENDED),
    (AeoStatus.GRANTED, Change.GRANTED),
])
def test_the_authorisation_refuses_every_other_move_and_keeps_its_version(
        status: AeoStatus, change: Change) -> None:
    authorisation = Authorisation("THTRADER0001", status, consent=True, version=3)
    with pytest.raises(StatusConflict):
        authorisation.change(change)
    assert authorisation.status is status and authorisation.version == 3


def test_the_authorisation_table_is_complete() -> None:
    assert set(AUTHORISATION.table) == set(AeoStatus)
    assert AUTHORISATION.targets(AeoStatus.REVOKED) == frozenset()


def test_consent_is_given_or_withdrawn_once_each_way() -> None:
    authorisation = Authorisation("THTRADER0001", AeoStatus.GRANTED, consent=False)
    authorisation.change(Change.CONSENT_GIVEN)
    assert authorisation.shared and authorisation.version == 2
    with pytest.raises(StatusConflict, match="already given"):
        authorisation.change(Change.CONSENT_GIVEN)
    authorisation.change(Change.CONSENT_WITHDRAWN)
    assert not authorisation.shared and authorisation.version == 3


MRA = Arrangement("ASEAN-AEO-MRA", "ASEAN AEO MRA", frozenset({"TH", "VN", "SG"}),
                  date(2026, 12, 1), frozenset(Benefit), frozenset({AeoRole.EXPORTER,
                                                                    AeoRole.IMPORTER}))


def test_an_arrangement_names_this_node_a_partner_benefits_and_roles() -> None:
    assert MRA.problems("VN") == []
    assert [p.path for p in MRA.problems("LA")] == ["partners"]
    empty = replace(MRA, id="x", partners=frozenset({"VN"}), benefits=frozenset(),
                    roles=frozenset(), ends_on=date(2026, 1, 1))
    assert {p.path for p in empty.problems("VN")} == {"id", "partners", "benefits", "roles",
                                                     "ends_on"}


def _told(status: str = "granted", version: int = 1) -> PartnerOperator:
    return PartnerOperator("THTRADER0001", "Siam Rice", ("importer_exporter",), status,
                           version, AT)


def test_a_partners_aeo_gets_the_arrangements_benefits_in_a_covered_role() -> None:
    partners = {"THTRADER0001": _told()}
    standing = standing_of([("THTRADER0001", AeoRole.EXPORTER)], TODAY, "VN", {}, partners,
                           [MRA])
    assert standing is not None and standing.operator == "THTRADER0001"
    assert "ASEAN AEO MRA" in standing.programme and "TH-CUSTOMS" in standing.programme
    assert standing.fewer_checks and standing.lower_score and standing.priority


def test_no_benefit_outside_the_roles_before_the_start_or_once_suspended() -> None:
    partners = {"THTRADER0001": _told()}
    carrier = [("THTRADER0001", AeoRole.CARRIER)]
    exporter = [("THTRADER0001", AeoRole.EXPORTER)]
    assert standing_of(carrier, TODAY, "VN", {}, partners, [MRA]) is None
    assert standing_of(exporter, date(2026, 11, 30), "VN", {}, partners, [MRA]) is None
    assert standing_of(exporter, TODAY, "VN", {}, {"THTRADER0001": _told("suspended", 2)},
                       [MRA]) is None
    # A partner outside the arrangement is not recognised whatever it told.
    outside = replace(MRA, partners=frozenset({"SG", "VN"}))
    assert standing_of(exporter, TODAY, "VN", {}, partners, [outside]) is None


def test_a_home_aeo_gets_the_programme_and_an_authorised_consignor_the_simplified_transit(
) -> None:
    home = {"VN0101234567": True, "VN0200000001": False}
    importer = standing_of([("VN0101234567", AeoRole.IMPORTER)], TODAY, "VN", home, {}, [])
    assert importer is not None and importer.programme == "the AEO programme of VN"
    assert not importer.simplified_transit
    consignor = standing_of([("VN0101234567", AeoRole.CONSIGNOR)], TODAY, "VN", home, {}, [])
    assert consignor is not None and consignor.simplified_transit
    assert standing_of([("VN0200000001", AeoRole.IMPORTER)], TODAY, "VN", home, {}, []) is None


def test_identifiers_are_matched_exactly_never_by_likeness() -> None:
    partners = {"THTRADER0001": _told()}
    for near in ("THTRADER001", "thtrader0001", "THTRADER0001 "):
        assert standing_of([(near, AeoRole.EXPORTER)], TODAY, "VN", {}, partners, [MRA]) is None


def test_the_latest_version_wins_and_a_dropped_operator_keeps_no_data() -> None:
    told = _told(version=4)
    assert told.newer_than(3) and told.newer_than(None) and not told.newer_than(4)
    withdrawn = _told("withdrawn", 5)
    assert withdrawn.dropped and withdrawn.forgotten().name == ""
    assert withdrawn.forgotten().types == ()
