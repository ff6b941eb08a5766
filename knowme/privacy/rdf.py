"""The personal knowledge graph as RDF, so standard graph tools can read it without knowme (JSON-LD or Turtle).

Vocabulary: schema.org where a term fits, PROV-O for provenance, RDF reification for facts, and ``urn:knowme:vocab:``
(prefix ``km``) for the rest. Nodes are ``urn:knowme:record:<id>``, ``urn:knowme:entity:<id>``,
``urn:knowme:fact:<id>``, ``urn:knowme:preference:<id>``; predicates of facts are ``urn:knowme:predicate:<name>``.

- Records: email ``schema:EmailMessage``, event ``schema:Event``, contact ``schema:Person`` (the card), note
  ``schema:NoteDigitalDocument``, chat message ``schema:Message``, web visit ``schema:WebPage``, document
  ``schema:DigitalDocument``; ``schema:identifier`` (the ref), ``schema:name`` (title), ``schema:text``,
  ``schema:dateCreated`` (``schema:startDate`` for events), ``schema:author``, ``km:participant``, ``km:source``.
- Entities: ``schema:Person``, ``schema:Organization``, ``schema:Place``, ``schema:Project``, else ``schema:Thing``;
  ``schema:name``, ``schema:email`` for email aliases, ``schema:alternateName`` for the others.
- Facts: a ``km:Fact`` (also an ``rdf:Statement``) with ``rdf:subject``/``rdf:predicate``/``rdf:object``,
  ``schema:validFrom``, ``schema:validThrough``, ``km:recordedAt``, ``km:invalidatedAt``, ``km:confidence``,
  ``km:extractor``; a fact not invalidated is also asserted directly (subject predicate object).
- Preferences: ``km:Preference`` with ``schema:description`` and ``km:polarity``/``strength``/``scope``/``origin``.
- Provenance: ``prov:wasDerivedFrom`` from each derived node to its records.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV

from knowme.errors import ConfigError
from knowme.store.base import PortableStore, Store

SCHEMA = Namespace("https://schema.org/")
KM = Namespace("urn:knowme:vocab:")
RECORD_TYPES = {
    "email": SCHEMA.EmailMessage,
    "event": SCHEMA.Event,
    "contact": SCHEMA.Person,
    "note": SCHEMA.NoteDigitalDocument,
    "chat_message": SCHEMA.Message,
    "web_visit": SCHEMA.WebPage,
    "document": SCHEMA.DigitalDocument,
    "photo": SCHEMA.Photograph,
    "place_visit": SCHEMA.Event,
}
ENTITY_TYPES = {
    "person": SCHEMA.Person,
    "organisation": SCHEMA.Organization,
    "organization": SCHEMA.Organization,
    "place": SCHEMA.Place,
    "project": SCHEMA.Project,
}


def node(kind: str, ident: str) -> URIRef:
    return URIRef(f"urn:knowme:{kind}:{quote(ident, safe='')}")


def _when(value: Any) -> Literal:
    return Literal(str(value), datatype=XSD.dateTime)


def build_graph(store: Store) -> tuple[Graph, dict[str, int]]:
    if not isinstance(store, PortableStore):
        raise ConfigError(f"the {type(store).__name__} store cannot export")
    g = Graph()
    g.bind("schema", SCHEMA)
    g.bind("km", KM)
    g.bind("prov", PROV)
    counts = {"records": 0, "entities": 0, "facts": 0, "preferences": 0}
    for record in store.iter_records():
        subject = node("record", record.id)
        counts["records"] += 1
        g.add((subject, RDF.type, RECORD_TYPES.get(record.kind, SCHEMA.CreativeWork)))
        g.add((subject, SCHEMA.identifier, Literal(record.ref)))
        g.add((subject, KM.kind, Literal(record.kind)))
        g.add((subject, KM.source, Literal(record.source)))
        if record.title:
            g.add((subject, SCHEMA.name, Literal(record.title)))
        if record.text:
            g.add((subject, SCHEMA.text, Literal(record.text)))
        if record.timestamp:
            prop = SCHEMA.startDate if record.kind == "event" else SCHEMA.dateCreated
            g.add((subject, prop, _when(record.timestamp.isoformat())))
        if record.author:
            g.add((subject, SCHEMA.author, Literal(record.author)))
        for person in record.participants:
            g.add((subject, KM.participant, Literal(person)))
    for row in store.export_rows("entities"):
        subject = node("entity", row["id"])
        counts["entities"] += 1
        g.add((subject, RDF.type, ENTITY_TYPES.get(str(row["type"]).lower(), SCHEMA.Thing)))
        g.add((subject, SCHEMA.name, Literal(row["name"])))
    for row in store.export_rows("entity_aliases"):
        prop = SCHEMA.email if row["alias_kind"] == "email" else SCHEMA.alternateName
        g.add((node("entity", row["entity_id"]), prop, Literal(row["alias"])))
    for row in store.export_rows("facts"):
        counts["facts"] += 1
        fact = node("fact", row["id"])
        subject = node("entity", row["subject_id"])
        predicate = URIRef(f"urn:knowme:predicate:{quote(str(row['predicate']), safe='')}")
        obj: Any = node("entity", row["object_id"]) if row["object_id"] else Literal(row["object_value"] or "")
        g.add((fact, RDF.type, KM.Fact))
        g.add((fact, RDF.type, RDF.Statement))
        g.add((fact, RDF.subject, subject))
        g.add((fact, RDF.predicate, predicate))
        g.add((fact, RDF.object, obj))
        for column, prop in (
            ("valid_from", SCHEMA.validFrom),
            ("valid_to", SCHEMA.validThrough),
            ("recorded_at", KM.recordedAt),
            ("invalidated_at", KM.invalidatedAt),
        ):
            if row[column]:
                g.add((fact, prop, _when(row[column])))
        g.add((fact, KM.confidence, Literal(float(row["confidence"]))))
        g.add((fact, KM.extractor, Literal(f"{row['extractor']} {row['extractor_version']}")))
        if not row["invalidated_at"]:
            g.add((subject, predicate, obj))
    for row in store.export_rows("preferences"):
        counts["preferences"] += 1
        pref = node("preference", row["id"])
        g.add((pref, RDF.type, KM.Preference))
        g.add((pref, SCHEMA.description, Literal(row["statement"])))
        for column in ("polarity", "scope", "origin"):
            g.add((pref, KM[column], Literal(row[column])))
        g.add((pref, KM.strength, Literal(float(row["strength"]))))
        g.add((pref, KM.active, Literal(bool(row["active"]))))
    for row in store.export_rows("provenance"):
        target = node(str(row["target_type"]), str(row["target_id"]))
        g.add((target, PROV.wasDerivedFrom, node("record", row["record_id"])))
    return g, counts
