"""The model path's per-report state: what it has spent, the model's latest reading, the attempts kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from nianbao.model.sources import Grounding, Value
from nianbao.schemas.record import Report


class BudgetSpent(Exception):
    pass


@dataclass
class Spend:
    """What the model path used for one report; answers from the cache count like live ones, so a replay
    follows exactly the path of the run it replays."""

    answers: int = 0
    live: int = 0
    cached: int = 0
    reprompts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    prompts: set[str] = field(default_factory=set)


@dataclass
class ModelReading:
    """The model's latest answer for each row it has read."""

    values: dict[str, tuple[Value, ...]] = field(default_factory=dict)
    grounding: dict[str, list[Grounding]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # row → why its last answer failed validation

    def copy(self) -> ModelReading:
        return ModelReading(dict(self.values), dict(self.grounding), dict(self.errors))


@dataclass
class ModelRun:
    report: Report
    model_values: dict[str, Value]  # the model's own reading in the kept attempt, for measuring the model alone
    spend: Spend
    stop: str


@dataclass
class Attempt:
    report: Report
    reading: ModelReading
    score: int
