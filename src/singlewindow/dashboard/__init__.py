"""The manager's dashboard: figures of every room, read-only, in one page (issue 13)."""
