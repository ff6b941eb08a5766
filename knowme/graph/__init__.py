"""The personal knowledge graph: people and other entities, facts with time, commitments, exact answers.

- :mod:`knowme.text.names`: normalising names, addresses and phone numbers into alias keys
- :mod:`knowme.extract.mentions`: who and what each record names, from the structure its source carries
- :mod:`knowme.extract.resolve`: mentions to entities (with the reasons), the vault owner, merge and split
- :mod:`knowme.extract.extractors`: the extractor plugin interface and the deterministic fact extractor
- :mod:`knowme.extract.commitments`: promises made and received, with due dates and status
- :mod:`knowme.extract.build`: the incremental update run after each ingest batch
- :mod:`knowme.assist.exact`: exact answers to questions the graph can settle
- :mod:`knowme.graph.views`: people, profiles, timelines and facts as dataclasses
"""
