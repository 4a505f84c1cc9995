"""The channel decision: forced rules, rule hits, the model, AEO scaling, the random share,
and the reasons each decision carries. Pure model, no storage."""

import random
from datetime import date

from singlewindow.risk.model import (
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
