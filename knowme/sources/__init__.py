"""Registered sources kept up to date: folders and files, IMAP mailboxes, CalDAV calendars, CardDAV address books.

:mod:`~knowme.sources.registry` turns ``knowme sources add`` arguments into a :class:`~knowme.models.SourceEntry`,
:mod:`~knowme.sources.live` defines what a live connector yields besides records (removals, checkpoints),
:mod:`~knowme.sources.sync` brings sources up to date and :mod:`~knowme.sources.watch` keeps doing it.
"""
