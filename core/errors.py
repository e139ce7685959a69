"""The artiflow exception tree.

Every error artiflow raises on purpose derives from :class:`ArtiflowError`, and also from the
builtin exception it means, so ``except LookupError`` or ``except ValueError`` keep working::

    ArtiflowError
    ├── ArtifactNotFoundError (LookupError)      no such artifact, version, alias or run
    │   └── EntryNotFoundError (KeyError)         no such file in the artifact
    ├── ArtifactFinalizedError (AttributeError)  add*/remove on a logged artifact
    ├── ArtifactNotLoggedError (AttributeError)  a read-side attribute on a draft
    ├── TypeCollisionError (ValueError)          a name already used with another type
    ├── TypeMismatchError (ValueError)           use_artifact(..., type=X) on another type
    ├── InvalidNameError (ValueError)            bad artifact/project name, alias, tag, entry path
    ├── EntryConflictError (ValueError)          the same path added twice with other content
    ├── UnsupportedSchemeError (ValueError)      a reference URI artiflow cannot track yet
    ├── TooManyObjectsError (ValueError)         a reference prefix expands past max_objects
    ├── DigestMismatchError (ValueError)         content does not match its recorded digest
    ├── FileChangedError (RuntimeError)          a source file changed between add and log
    ├── DistributedIdError (TypeError)           upsert/finish_artifact with no group or distributed_id
    ├── StoreError (RuntimeError)                the store is unusable (locked too long, corrupt)
    └── MissingDependencyError (ImportError)     an optional extra is not installed
"""

from __future__ import annotations


class ArtiflowError(Exception):
    """Base class of every error artiflow raises on purpose."""


class ArtifactNotFoundError(ArtiflowError, LookupError):
    """The artifact, version, alias or run does not exist."""

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class EntryNotFoundError(ArtifactNotFoundError, KeyError):
    """The artifact has no entry at that path."""


class ArtifactFinalizedError(ArtiflowError, AttributeError):
    """The artifact is logged; its contents can no longer change."""


class ArtifactNotLoggedError(ArtiflowError, AttributeError):
    """The attribute only exists once the artifact is logged."""


class TypeCollisionError(ArtiflowError, ValueError):
    """The artifact name is already used in this project with another type."""


class TypeMismatchError(ArtiflowError, ValueError):
    """The artifact exists but has another type than the one asked for."""


class InvalidNameError(ArtiflowError, ValueError):
    """A name, alias, tag or entry path breaks the naming rules."""


class EntryConflictError(ArtiflowError, ValueError):
    """The same entry path was added twice with different content."""


class UnsupportedSchemeError(ArtiflowError, ValueError):
    """The reference URI's scheme is not supported."""


class TooManyObjectsError(ArtiflowError, ValueError):
    """A reference expands to more objects than ``max_objects`` allows."""


class DigestMismatchError(ArtiflowError, ValueError):
    """Content on disk or in the store does not match the digest recorded for it."""


class FileChangedError(ArtiflowError, RuntimeError):
    """A file added to a draft changed before the draft was logged."""


class DistributedIdError(ArtiflowError, TypeError):
    """A collaborative version needs a ``distributed_id`` (or a run group to default to)."""


class StoreError(ArtiflowError, RuntimeError):
    """The store cannot complete the operation."""


class MissingDependencyError(ArtiflowError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


__all__ = [
    "ArtiflowError",
    "ArtifactFinalizedError",
    "ArtifactNotFoundError",
    "ArtifactNotLoggedError",
    "DigestMismatchError",
    "DistributedIdError",
    "EntryConflictError",
    "EntryNotFoundError",
    "FileChangedError",
    "InvalidNameError",
    "MissingDependencyError",
    "StoreError",
    "TooManyObjectsError",
    "TypeCollisionError",
    "TypeMismatchError",
    "UnsupportedSchemeError",
]
