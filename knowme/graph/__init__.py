"""The personal knowledge graph: people and other entities, facts with time, commitments, exact answers.

- :mod:`knowme.graph.names`: normalising names, addresses and phone numbers into alias keys
- :mod:`knowme.graph.mentions`: who and what each record names, from the structure its source carries
- :mod:`knowme.graph.resolve`: mentions to entities (with the reasons), the vault owner, merge and split
- :mod:`knowme.graph.extractors`: the extractor plugin interface and the deterministic fact extractor
- :mod:`knowme.graph.commitments`: promises made and received, with due dates and status
- :mod:`knowme.graph.build`: the incremental update run after each ingest batch
- :mod:`knowme.graph.answer`: exact answers to questions the graph can settle
- :mod:`knowme.graph.views`: people, profiles, timelines and facts as dataclasses
"""
