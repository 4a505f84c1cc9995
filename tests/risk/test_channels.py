"""The channel decision: forced rules, rule hits, the model, AEO scaling, the random share,
and the reasons each decision carries. Pure model, no storage."""

import random
from datetime import date

from singlewindow.risk.model import (
    AeoRole,
    AeoStanding,
    Channel,
    Criterion,
    ModelOpinion,
    Operator,
    RiskRule,
    RiskSubject,
    ScoreCalibration,
    SelectivityPolicy,
    Thresholds,
    choose_channel,
)

SUBJECT = RiskSubject(header={"importer": "VN001", "office": "VNHCM01"},
                      items=[{"commodity_code": "24022090", "origin_country": "CN"}])
DAY = date(2026, 6, 1)
NO_RANDOM = SelectivityPolicy(random_share=0.0)
THRESHOLDS = Thresholds(red=0.8, yellow=0.5)


def rule(channel=Channel.RED, forced=False, rule_id="r1", name="cigarettes"):
    return RiskRule(rule_id, name, (Criterion("commodity_code", Operator.PREFIX, "2402"),),
                    channel, date(2026, 1, 1), forced=forced)


def opinion(score, reasons=("importer VN001: 3 of 4 past inspections found fraud",), **kw):
    return ModelOpinion(version=4, score=score, raw_score=kw.pop("raw", score),
                        thresholds=kw.pop("thresholds", THRESHOLDS), reasons=reasons, **kw)


def test_a_forced_rule_wins_over_the_model_even_with_a_lower_channel():
    green = rule(Channel.GREEN, forced=True)
    selection = choose_channel(SUBJECT, [green], SelectivityPolicy(random_share=1.0), DAY,
                               random.Random(1), opinion(0.95))
    assert selection.channel is Channel.GREEN
    assert selection.random  # drawn all the same: the share is the same across the flow
    assert any("forced" in r for r in selection.reasons)
    assert any("score 0.950" in r for r in selection.reasons)  # still said, for the record
    assert selection.score == 0.95 and selection.model_version == 4


def test_a_forced_rule_wins_over_a_more_severe_unforced_rule():
    yellow = rule(Channel.YELLOW, forced=True, rule_id="f")
    red = rule(Channel.RED, rule_id="r")
    selection = choose_channel(SUBJECT, [yellow, red], NO_RANDOM, DAY, random.Random(1))
    assert selection.channel is Channel.YELLOW and set(selection.rule_ids) == {"f", "r"}


def test_the_model_raises_the_channel_and_says_why_in_words():
    selection = choose_channel(SUBJECT, [], NO_RANDOM, DAY, random.Random(1), opinion(0.85))
    assert selection.channel is Channel.RED
    assert "red threshold 0.800" in selection.reasons[0]
    assert "importer VN001: 3 of 4 past inspections found fraud" in selection.reasons[1]
    yellow = choose_channel(SUBJECT, [], NO_RANDOM, DAY, random.Random(1), opinion(0.6))
    assert yellow.channel is Channel.YELLOW and "yellow threshold 0.500" in yellow.reasons[0]


def test_a_rule_hit_and_the_model_take_the_most_severe():
    selection = choose_channel(SUBJECT, [rule(Channel.YELLOW)], NO_RANDOM, DAY,
                               random.Random(1), opinion(0.9))
    assert selection.channel is Channel.RED
    assert "cigarettes" in selection.reasons[0] and "risk model v4" in selection.reasons[1]


def test_every_decision_carries_reasons():
    cases = [
        ([], None, NO_RANDOM),
        ([], opinion(0.1, reasons=()), NO_RANDOM),
        ([rule()], None, NO_RANDOM),
        ([], opinion(0.9), NO_RANDOM),
        ([], None, SelectivityPolicy(random_share=1.0)),
        ([rule(Channel.GREEN, forced=True)], opinion(0.9), NO_RANDOM),
    ]
    for rules, said, policy in cases:
        selection = choose_channel(SUBJECT, rules, policy, DAY, random.Random(2), said)
        assert selection.reasons, (rules, said)
        if selection.channel is Channel.GREEN and not any(r.forced for r in rules):
            assert selection.reasons[0].startswith("green: no risk rule hit")
    green = choose_channel(SUBJECT, [], NO_RANDOM, DAY, random.Random(1), opinion(0.1))
    assert green.channel is Channel.GREEN
    assert "below the yellow threshold 0.500" in " ".join(green.reasons)
    alone = choose_channel(SUBJECT, [], NO_RANDOM, DAY, random.Random(1))
    assert "no risk model in service" in alone.reasons[0]


def test_the_random_draw_never_lowers_the_model_channel():
    policy = SelectivityPolicy(random_share=1.0, random_channel=Channel.YELLOW)
    selection = choose_channel(SUBJECT, [], policy, DAY, random.Random(1), opinion(0.9))
    assert selection.channel is Channel.RED and selection.random
    assert "already red" in selection.reasons[-1]


def test_aeo_scaling_is_a_reason():
    scaled = opinion(0.45, raw=0.9, aeo_party="VN001", aeo_factor=0.5)
    selection = choose_channel(SUBJECT, [], NO_RANDOM, DAY, random.Random(1), scaled)
    assert selection.channel is Channel.GREEN
    assert "AEO operator VN001" in selection.reasons[1] and "0.900 → 0.450" in selection.reasons[1]


def test_thresholds_come_from_the_rates():
    calibration = ScoreCalibration(tuple(i / 1000 for i in range(1001)), 1000)
    thresholds = calibration.thresholds(SelectivityPolicy(red_rate=0.02, yellow_rate=0.05))
    assert abs(thresholds.red - 0.98) < 1e-9 and abs(thresholds.yellow - 0.93) < 1e-9
    none = calibration.thresholds(SelectivityPolicy(red_rate=0.0, yellow_rate=0.0))
    assert none.channel(1.0) is Channel.GREEN


def test_policy_problems():
    assert SelectivityPolicy().problems() == []
    bad = SelectivityPolicy(red_rate=0.7, yellow_rate=0.6, aeo_factor=2,
                            random_channel=Channel.GREEN)
    assert {p.path for p in bad.problems()} == {"yellow_rate", "aeo_factor", "random_channel"}


def test_an_aeos_random_share_is_within_0_and_1_not_above_the_others_and_never_zero():
    def paths(**kw):
        return [p.path for p in SelectivityPolicy(**kw).problems()]

    assert paths(random_share=0.02, aeo_random_share=0.005) == []
    assert paths(random_share=0.02, aeo_random_share=0.02) == []
    assert paths(random_share=0.0, aeo_random_share=0.0) == []  # nobody drawn, AEOs neither
    assert paths(random_share=0.02, aeo_random_share=0.03) == ["aeo_random_share"]
    assert paths(random_share=1.0, aeo_random_share=1.5) == ["aeo_random_share"]
    assert paths(random_share=0.5, aeo_random_share=-0.1) == ["aeo_random_share"]
    never_zero = SelectivityPolicy(random_share=0.02, aeo_random_share=0.0).problems()
    assert [p.path for p in never_zero] == ["aeo_random_share"]
    assert "random share still applies to AEOs" in never_zero[0].message


EXPORTER = AeoStanding("THTRADER0001", AeoRole.EXPORTER,
                       "ASEAN AEO MRA (recognised from TH-CUSTOMS)")
CHECKS = SelectivityPolicy(random_share=0.02, aeo_random_share=0.005)


def _drawn(aeo, draws=20_000, policy=CHECKS):
    rng = random.Random(7)
    return sum(choose_channel(SUBJECT, [], policy, DAY, rng, None, aeo).random
               for _ in range(draws)) / draws


def test_a_recognised_aeo_is_drawn_at_its_own_random_share_and_others_at_the_usual_one():
    assert abs(_drawn(EXPORTER) - 0.005) < 0.002
    assert abs(_drawn(None) - 0.02) < 0.004
    # Without the fewer-checks benefit the usual share applies.
    assert abs(_drawn(AeoStanding("THTRADER0001", AeoRole.EXPORTER, "TH",
                                  fewer_checks=False)) - 0.02) < 0.004


def test_an_aeo_is_still_drawn_and_never_above_the_others_share():
    everyone = SelectivityPolicy(random_share=1.0, aeo_random_share=1.0)
    assert _drawn(EXPORTER, 200, everyone) == 1.0  # the draw happens for AEOs too
    # A policy (not yet validated) with an AEO share above everyone's: capped at it.
    nobody = SelectivityPolicy(random_share=0.0, aeo_random_share=0.005)
    assert _drawn(EXPORTER, 2000, nobody) == 0.0


def test_the_benefit_applied_is_a_reason_naming_operator_role_and_programme():
    selection = choose_channel(SUBJECT, [], CHECKS, DAY, random.Random(1),
                               opinion(0.45, raw=0.9, aeo_party="THTRADER0001",
                                       aeo_factor=0.5), EXPORTER)
    benefit = [r for r in selection.reasons if r.startswith("AEO benefit")]
    assert benefit == [
        "AEO benefit: exporter THTRADER0001, recognised under ASEAN AEO MRA (recognised from "
        "TH-CUSTOMS): model score scaled by 0.5; random checks at 0.5% instead of 2.0%; "
        "priority in the worklist"]
    assert selection.aeo == EXPORTER
    assert selection.as_dict()["aeo"]["operator"] == "THTRADER0001"
    assert selection.as_dict()["aeo"]["role"] == "exporter"
    # No model scaled the score: that benefit is not claimed.
    alone = choose_channel(SUBJECT, [], CHECKS, DAY, random.Random(1), None, EXPORTER)
    assert "model score" not in alone.reasons[-1] and "random checks at 0.5%" in alone.reasons[-1]


def test_a_forcing_rule_still_decides_for_an_aeo_and_names_the_benefit():
    red = rule(Channel.RED, forced=True)
    selection = choose_channel(SUBJECT, [red], CHECKS, DAY, random.Random(1), None, EXPORTER)
    assert selection.channel is Channel.RED and selection.aeo == EXPORTER
    assert selection.reasons[-1].startswith("AEO benefit: exporter THTRADER0001")


def test_without_a_standing_there_is_no_benefit():
    selection = choose_channel(SUBJECT, [], CHECKS, DAY, random.Random(1))
    assert selection.aeo is None and selection.as_dict()["aeo"] is None
    assert not any("AEO" in r for r in selection.reasons)
