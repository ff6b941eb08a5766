"""Live sources: connectors that read a folder, an IMAP mailbox or a CalDAV/CardDAV server incrementally."""
