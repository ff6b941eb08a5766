"""The HTTP API's request and response models (pydantic at the edge; the core stays frozen dataclasses).

Each ``*Out.of(...)`` validates the shape :mod:`knowme.interfaces.serialise` gives a core dataclass (the CLI's
``--json`` and the MCP tools use the same). Timestamps are ISO 8601 with their offset, or
null for undated items.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from knowme.interfaces.serialise import answer_json, hit_json, record_json
from knowme.models import Answer, Hit, IngestReport, Record

#: A date (meaning its last second when it is an upper bound) or an ISO 8601 date-time.
When = date | datetime


def present(name: str) -> dict[str, Any]:
    """The JSON Schema of "``name`` is given and not null" (for an ``anyOf`` of fields one of which is needed)."""
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


class ErrorBody(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="A short machine-readable code: unauthorized, not_found, invalid_request...")
    message: str = Field(description="One line for a person, saying what to do next where possible.")
    details: list[dict[str, Any]] = Field(default_factory=list, description="Invalid fields (loc, msg) of a 422.")


class ErrorEnvelope(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorBody


class HitOut(BaseModel):
    ref: str = Field(description="Source-native reference: mail:<Message-ID>, cal:<UID>, note:<path>...")
    kind: str
    source: str
    timestamp: datetime | None
    title: str
    author: str | None
    anchor: str
    score: float
    text: str

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls.model_validate(hit_json(hit))


class SearchOut(BaseModel):
    query: str
    hits: list[HitOut]


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000, description="A question about your own data.")
    as_of: When | None = Field(default=None, description="Answer as of this date (YYYY-MM-DD or ISO 8601).")


class ViolationOut(BaseModel):
    preference: str = Field(description="The id of the preference the answer breaks.")
    statement: str
    span: str = Field(description="The offending words, as they appear in the answer text.")
    start: int
    end: int
    reason: str = Field(description='What the answer does with them: "suggests steak", "proposes 09:00 (...)".')
    kind: str = Field(description="avoid, time or writing.")


class ComplianceOut(BaseModel):
    checked: list[str] = Field(description="Ids of the applicable preferences the check could read.")
    respected: bool = Field(description="Whether the answer as returned breaks none of them.")
    regenerated: bool = Field(description="Whether the model was asked once more after breaking one.")
    first: list[ViolationOut] = Field(description="What the model's first reply broke.")
    violations: list[ViolationOut] = Field(description="What the returned answer still breaks (see note).")
    note: str = Field(description="The labelled note appended to the answer, or empty.")


class PreferenceOut(BaseModel):
    id: str
    statement: str
    scope: str
    origin: str = Field(description="stated, inferred or feedback.")
    refs: list[str] = Field(description="Refs of the records the preference was inferred from, if any.")


class AnswerOut(BaseModel):
    text: str
    citations: list[str] = Field(description="Refs of the passages the answer rests on.")
    backend: str
    evidence: list[HitOut] = Field(description="The passages the model was shown, in the order it saw them.")
    preferences: list[PreferenceOut] = Field(
        default_factory=list, description="The user's standing rules that bear on the question, applied."
    )
    counterpoint: str | None = Field(default=None, description="A labelled counterpoint from the user's history.")
    counterpoint_refs: list[str] = Field(default_factory=list)
    compliance: ComplianceOut | None = Field(
        default=None, description="How the reply fared against the user's applicable preferences (null: no model)."
    )

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        return cls.model_validate(answer_json(answer))


class SectionOut(BaseModel):
    anchor: str
    text: str


class RecordOut(BaseModel):
    id: str
    ref: str
    kind: str
    source: str
    native_id: str
    timestamp: datetime | None
    title: str
    author: str | None
    participants: list[str]
    text: str
    sections: list[SectionOut]
    meta: dict[str, Any]

    @classmethod
    def of(cls, record: Record) -> RecordOut:
        return cls.model_validate(record_json(record))


class RecordsOut(BaseModel):
    ref: str
    records: list[RecordOut] = Field(description="Usually one; a recurring event has one per occurrence.")


class RecentOut(BaseModel):
    records: list[RecordOut]


class RememberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000, description="What to remember, in the user's words.")
    title: str = Field(default="", max_length=200)


class ProblemOut(BaseModel):
    where: str
    reason: str


class IngestOut(BaseModel):
    files: list[str] = Field(description="The uploaded file names, as stored (base names only).")
    added: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    chunks: int
    problems: list[ProblemOut]
    skipped_paths: list[ProblemOut]
    seconds: float

    @classmethod
    def of(cls, files: list[str], report: IngestReport) -> IngestOut:
        data = report.as_dict()
        return cls(files=files, **data)


class StatusOut(BaseModel):
    version: str
    records: dict[str, int] = Field(description="Records per kind.")
    chunks: int
    vault_bytes: int
    backend: str = Field(description="The chat backend that phrases answers.")
    features: dict[str, bool] = Field(description="Which optional areas this server offers (graph, privacy...).")
