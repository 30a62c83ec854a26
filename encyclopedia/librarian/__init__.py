"""The librarians' side: accounts, the editor, history and trash, the audit log and the
failed-searches tally. No Flask here; ``encyclopedia.web.librarian`` and the command
line are two faces of the same :class:`Workspace`."""

from __future__ import annotations

from dataclasses import dataclass

from encyclopedia.config import Settings
from encyclopedia.librarian.accounts import AccountError, Accounts, Librarian
from encyclopedia.librarian.audit import AuditLog
from encyclopedia.librarian.database import Database
from encyclopedia.librarian.editor import (
    EditConflict,
    Editor,
    EditRefused,
    NotFound,
    Saved,
)
from encyclopedia.librarian.failed_searches import FailedSearches
from encyclopedia.librarian.feedback import Feedback

__all__ = [
    "AccountError",
    "Accounts",
    "AuditLog",
    "EditConflict",
    "EditRefused",
    "Editor",
    "FailedSearches",
    "Librarian",
    "NotFound",
    "Saved",
    "Workspace",
]


@dataclass
class Workspace:
    db: Database
    accounts: Accounts
    audit: AuditLog
    editor: Editor
    failed_searches: FailedSearches
    feedback: Feedback

    @classmethod
    def from_settings(cls, settings: Settings) -> Workspace:
        db = Database(settings.database_path)
        audit = AuditLog(db)
        editor = Editor(
            settings.content_dir,
            settings.index_dir,
            db,
            audit,
            lock_path=settings.instance_dir / "edit.lock",
        )
        return cls(db, Accounts(db), audit, editor, FailedSearches(db), Feedback(db))
