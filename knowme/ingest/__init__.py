"""Getting data in: the pipeline (records -> chunks -> vectors -> store, batched), registered sources and their
sync, the folder watcher, and queued ingest jobs (:mod:`knowme.ingest.jobs`)."""
