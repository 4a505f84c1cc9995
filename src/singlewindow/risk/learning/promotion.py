"""When a trained model may go into service: the promotion gates. No I/O.

A model in service decides which declarations officers inspect; a junk one (trained on a
handful of results, or one scoring everything alike) would send the whole flow red or let
fraud through. So a candidate goes into service only when every gate passes:

    training     it learnt from enough inspected declarations, with enough of each outcome
    comparison   it was judged on a period later than its training data (out of time) and
                 won there: against the model in service, or, with none in service, against
                 a no-skill baseline (AUC above a floor, precision above the base hit rate)
    channels     at its thresholds it would send to red and to yellow about the shares of
                 the flow the selectivity policy sets

`refusals()` lists every gate that fails, with its figures; the registry refuses the promotion
with all of them, so that the officer sees at once what is missing.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from singlewindow.risk.model import ScoreCalibration, SelectivityPolicy

# Training. Below a few hundred inspected declarations the history features (importer,
# declarant, tariff line...) rest on one or two results each and the trees learn noise; 30
# of each outcome is the usual floor for a binary classifier to see both sides at all.
MINIMUM_INSPECTED = 500
MINIMUM_EACH_OUTCOME = 30

# Comparison. An AUC or a precision on fewer than 100 inspected goods items (or fewer than 10
# findings or 10 clean results) moves by ±0.1 from one sample to the next: it decides nothing.
MINIMUM_COMPARED = 100
MINIMUM_COMPARED_EACH_OUTCOME = 10
# With no model in service, the candidate must rank clearly better than chance (AUC 0.5);
# 0.65 is where a selection model starts to be worth an officer's time.
AUC_FLOOR = 0.65
# Against the model in service, the candidate must find at least as much at the inspection
# rate officers work, and rank the whole flow no worse than this margin (sampling noise).
AUC_MARGIN = 0.01

# Channels. A model's red and yellow shares of the recent flow may differ from the policy's
# rates by half the rate either way, or half a percentage point, whichever is wider: scores
# tied at a threshold all go the same way, and a model whose ties send the flow to red is
# refused.
CHANNEL_RATE_TOLERANCE = 0.5
CHANNEL_RATE_SLACK = 0.005


@dataclass(frozen=True)
class PromotionGates:
    """The minimums and floors, named constants by default; tests may lower them."""

    minimum_inspected: int = MINIMUM_INSPECTED
    minimum_each_outcome: int = MINIMUM_EACH_OUTCOME
    minimum_compared: int = MINIMUM_COMPARED
    minimum_compared_each_outcome: int = MINIMUM_COMPARED_EACH_OUTCOME
    auc_floor: float = AUC_FLOOR
    auc_margin: float = AUC_MARGIN
    channel_rate_tolerance: float = CHANNEL_RATE_TOLERANCE
    channel_rate_slack: float = CHANNEL_RATE_SLACK

    def describe(self) -> str:
        return (
            f"at least {self.minimum_inspected:,} inspected declarations, "
            f"{self.minimum_each_outcome:,} with findings and {self.minimum_each_outcome:,} clean"
        )


@dataclass(frozen=True)
class TrainingEvidence:
    """What a model learnt from: inspected declarations, and those where something was found."""

    inspected: int
    hits: int

    @property
    def clean(self) -> int:
        return self.inspected - self.hits

    @classmethod
    def from_document(cls, training: Mapping[str, Any]) -> TrainingEvidence:
        # Model files from before declarations were counted hold goods items only.
        inspected = training.get("inspected_declarations", training.get("declarations", 0))
        hits = training.get("declarations_with_findings", training.get("frauds", 0))
        return cls(int(inspected or 0), int(hits or 0))


@dataclass(frozen=True)
class ComparisonEvidence:
    """A candidate scored on a period, beside the model in service (if any) on the same one."""

    in_service: int | None
    trained_to: date  # the last lodgement date the candidate learnt from
    period_from: date  # the first lodgement date of the period
    period_to: date
    inspected: int  # inspected goods items in the period
    hits: int
    inspection_rate: float  # the share of the flow the policy has the model select (red + yellow)
    candidate_auc: float
    candidate_precision: float  # at the inspection rate
    in_service_auc: float | None = None
    in_service_precision: float | None = None

    @property
    def clean(self) -> int:
        return self.inspected - self.hits

    @property
    def out_of_time(self) -> bool:
        return self.period_from > self.trained_to

    @property
    def base_hit_rate(self) -> float:
        """The hit rate with no model: findings among all inspected items of the period."""
        return self.hits / self.inspected if self.inspected else 0.0

    def as_document(self) -> dict[str, Any]:
        return {
            "in_service": self.in_service,
            "trained_to": self.trained_to.isoformat(),
            "period_from": self.period_from.isoformat(),
            "period_to": self.period_to.isoformat(),
            "inspected": self.inspected,
            "hits": self.hits,
            "inspection_rate": self.inspection_rate,
            "candidate_auc": _number(self.candidate_auc),
            "candidate_precision": self.candidate_precision,
            "in_service_auc": _number(self.in_service_auc),
            "in_service_precision": self.in_service_precision,
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> ComparisonEvidence | None:
        """None for a report from before the gates (it lacks their figures)."""
        try:
            return cls(
                in_service=data["in_service"],
                trained_to=date.fromisoformat(data["trained_to"]),
                period_from=date.fromisoformat(data["period_from"]),
                period_to=date.fromisoformat(data["period_to"]),
                inspected=int(data["inspected"]),
                hits=int(data["hits"]),
                inspection_rate=float(data["inspection_rate"]),
                candidate_auc=_float(data["candidate_auc"]),
                candidate_precision=float(data["candidate_precision"]),
                in_service_auc=(
                    None if data["in_service"] is None else _float(data.get("in_service_auc"))
                ),
                in_service_precision=data.get("in_service_precision"),
            )
        except (KeyError, TypeError, ValueError):
            return None


def comparison_refusal(evidence: ComparisonEvidence, gates: PromotionGates) -> str | None:
    """Why the candidate did not win its comparison, or None when it did (whatever is in
    service now: `refusals` checks that the comparison is against it)."""
    rate = f"{evidence.inspection_rate:.1%}"
    if not evidence.out_of_time:
        return (
            f"it was compared on declarations lodged from {evidence.period_from} while its "
            f"training data runs to {evidence.trained_to}: its figures flatter it; compare it on "
            "a later period"
        )
    if (
        evidence.inspected < gates.minimum_compared
        or min(evidence.hits, evidence.clean) < gates.minimum_compared_each_outcome
    ):
        return (
            f"the comparison period has {evidence.inspected:,} inspected goods items "
            f"({evidence.hits:,} with findings, {evidence.clean:,} clean); at least "
            f"{gates.minimum_compared:,} with {gates.minimum_compared_each_outcome:,} of each "
            "outcome are needed to judge a model"
        )
    mine_auc, mine_precision = evidence.candidate_auc, evidence.candidate_precision
    if evidence.in_service is None:
        base = evidence.base_hit_rate
        if not (mine_auc > gates.auc_floor and mine_precision > base):
            return (
                f"with no model in service it must beat chance clearly: AUC {mine_auc:.3f} "
                f"(needs above {gates.auc_floor:.2f}), precision at {rate} "
                f"{mine_precision:.3f} (needs above the period's base hit rate {base:.3f})"
            )
        return None
    theirs_auc = evidence.in_service_auc if evidence.in_service_auc is not None else math.nan
    theirs_precision = evidence.in_service_precision or 0.0
    if not (mine_precision >= theirs_precision and mine_auc >= theirs_auc - gates.auc_margin):
        return (
            f"it did not win against model v{evidence.in_service} in service: precision at "
            f"{rate} {mine_precision:.3f} against {theirs_precision:.3f} (needs at least as "
            f"much), AUC {mine_auc:.3f} against {theirs_auc:.3f} (needs no less than "
            f"{gates.auc_margin:.2f} below)"
        )
    return None


@dataclass(frozen=True)
class ChannelShares:
    """The shares of the recent flow a model would send to red and to yellow."""

    red: float
    yellow: float


def share_at_or_above(calibration: ScoreCalibration, threshold: float) -> float:
    """The share of the calibrated flow scoring at or above a threshold, read off the quantiles:
    scores tied at the threshold all count (they all go the same way at lodgement)."""
    quantiles = calibration.quantiles
    if len(quantiles) < 2 or threshold == math.inf:
        return 0.0
    first = bisect.bisect_left(quantiles, threshold)
    return min(max(1.0 - first / (len(quantiles) - 1), 0.0), 1.0)


def channel_shares(calibration: ScoreCalibration, policy: SelectivityPolicy) -> ChannelShares:
    thresholds = calibration.thresholds(policy)
    red = share_at_or_above(calibration, thresholds.red)
    yellow = max(share_at_or_above(calibration, thresholds.yellow) - red, 0.0)
    return ChannelShares(red, yellow)


def channel_refusal(
    shares: ChannelShares, policy: SelectivityPolicy, gates: PromotionGates
) -> str | None:
    out = []
    for channel, share, rate in (
        ("red", shares.red, policy.red_rate),
        ("yellow", shares.yellow, policy.yellow_rate),
    ):
        allowed = max(gates.channel_rate_tolerance * rate, gates.channel_rate_slack)
        if abs(share - rate) > allowed:
            out.append(
                f"{share:.1%} of the recent flow to {channel} (the policy sets {rate:.1%}, "
                f"±{allowed:.1%})"
            )
    if not out:
        return None
    return "at its thresholds it would send " + " and ".join(out)


@dataclass(frozen=True)
class GateRefusal:
    gate: str  # "training", "comparison" or "channels"
    reason: str

    def __str__(self) -> str:
        return f"{self.gate} gate: {self.reason}"


@dataclass(frozen=True)
class PromotionCase:
    """Everything the gates look at for one candidate, read from the registry and the policy."""

    version: int
    training: TrainingEvidence
    comparison: ComparisonEvidence | None
    in_service: int | None  # the model in service now
    shares: ChannelShares | None  # None: no recent flow was calibrated
    policy: SelectivityPolicy


def refusals(case: PromotionCase, gates: PromotionGates | None = None) -> list[GateRefusal]:
    """Every gate the candidate fails, with its figures (empty: it may go into service)."""
    gates = gates or PromotionGates()
    found: list[GateRefusal] = []
    training = case.training
    if (
        training.inspected < gates.minimum_inspected
        or min(training.hits, training.clean) < gates.minimum_each_outcome
    ):
        found.append(
            GateRefusal(
                "training",
                f"trained on {training.inspected:,} inspected declarations ({training.hits:,} "
                f"with findings, {training.clean:,} clean); it needs {gates.describe()}",
            )
        )
    found.extend(_comparison_refusals(case, gates))
    if case.shares is None:
        found.append(
            GateRefusal(
                "channels",
                "it has no calibration on the recent flow, so its channel rates are unknown",
            )
        )
    else:
        reason = channel_refusal(case.shares, case.policy, gates)
        if reason:
            found.append(GateRefusal("channels", reason))
    return found


def _comparison_refusals(case: PromotionCase, gates: PromotionGates) -> list[GateRefusal]:
    evidence = case.comparison
    against = f"model v{case.in_service} in service" if case.in_service else "no-skill baseline"
    if evidence is None:
        return [
            GateRefusal(
                "comparison",
                f"it has not been compared with the {against} on a period later than its "
                "training data; compare it first",
            )
        ]
    if evidence.in_service != case.in_service:
        then = f"model v{evidence.in_service}" if evidence.in_service else "no model in service"
        now = f"model v{case.in_service}" if case.in_service else "none is"
        return [
            GateRefusal(
                "comparison",
                f"it was compared when {then} was in service, and {now} now; compare it again",
            )
        ]
    policy_rate = case.policy.red_rate + case.policy.yellow_rate
    if not math.isclose(evidence.inspection_rate, policy_rate, abs_tol=1e-9):
        return [
            GateRefusal(
                "comparison",
                f"it was compared at an inspection rate of {evidence.inspection_rate:.1%}, and "
                f"the policy's red and yellow rates now add up to {policy_rate:.1%}; compare it "
                "again",
            )
        ]
    reason = comparison_refusal(evidence, gates)
    return [GateRefusal("comparison", reason)] if reason else []


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def _float(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]
