"""One JSON shape per model at the edges: the CLI's ``--json``, the HTTP API's responses and the MCP tools' results
all come from these functions. Timestamps are ISO 8601 with their offset, or null for undated items."""

from __future__ import annotations

from typing import Any

from knowme.assist.enforce import compliance_dict
from knowme.models import Answer, Hit, Record


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "ref": hit.ref,
        "kind": hit.kind,
        "source": hit.source,
        "timestamp": hit.timestamp.isoformat() if hit.timestamp else None,
        "title": hit.title,
        "author": hit.author,
        "anchor": hit.anchor,
        "score": round(hit.score, 6),
        "text": hit.text,
    }


def record_json(record: Record, *, snippet: int | None = None) -> dict[str, Any]:
    """A record; with ``snippet``, its text folded to one line of at most that many characters and no sections."""
    text = record.text if snippet is None else " ".join(record.text.split())[:snippet]
    data: dict[str, Any] = {
        "id": record.id,
        "ref": record.ref,
        "kind": record.kind,
        "source": record.source,
        "native_id": record.native_id,
        "timestamp": record.timestamp.isoformat() if record.timestamp else None,
        "title": record.title,
        "author": record.author,
        "participants": list(record.participants),
        "text": text,
        "meta": dict(record.meta),
    }
    if snippet is None:
        data["sections"] = [{"anchor": s.anchor, "text": s.text} for s in record.sections]
    return data


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "text": answer.text,
        "citations": answer.citations,
        "backend": answer.backend,
        "evidence": [hit_json(h) for h in answer.evidence],
        "preferences": [
            {"id": p.id, "statement": p.statement, "scope": p.scope, "origin": p.origin, "refs": list(p.refs)}
            for p in answer.preferences
        ],
        "counterpoint": answer.counterpoint,
        "counterpoint_refs": answer.counterpoint_refs,
        "compliance": compliance_dict(answer.compliance),
    }
