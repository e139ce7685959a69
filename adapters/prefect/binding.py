"""Task inputs become ``use_artifact``, task outputs become ``log_artifact``.

Inputs, in each call:

- a parameter value that is an :class:`~artiflow.Artifact` is used as that exact version;
- an :class:`~.refs.ArtifactRef` (what an upstream artifact task returned) is resolved to exactly
  the version it names, checked against its digest, used, and passed on as an ``Artifact``;
- a string given to a parameter declared with ``inputs=[...]`` or annotated as ``Artifact`` is an
  artifact path (``name``, ``name:alias``, ``project/name:vN``) resolved once, at the start of the
  task run, to one exact version.

- a :class:`~.parts.PartRef` (what a mapped run of a collaborative ``.map`` returned) is the
  version its map committed; a list of them, all of one map (what ``.map`` returned), becomes
  that one ``Artifact``.

Lists, tuples and dicts are searched one value at a time, so ``train(parts=[ref1, ref2])`` uses both.

Outputs: an ``Artifact`` the task returns (also inside a list, tuple or dict) is logged; with
``outputs=`` declared, a returned path (file or directory) or a Python object becomes the named
artifact (an object as its entry ``value``: :data:`artiflow.names.VALUE_ENTRY`, the Dagster adapter's rule too). Either way the task's result is the :class:`~.refs.ArtifactRef` of the logged version.
In a mapped run of a collaborative ``.map`` the artifact is upserted as one part instead, and the
result is its :class:`~.parts.PartRef`.
"""

from __future__ import annotations

import inspect
import os
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from artiflow import Artifact, ArtifactNotFoundError, names

from .parts import PartRef
from .refs import ArtifactRef
from .runs import Scope

_MENTIONS_ARTIFACT = re.compile(r"\bArtifact\b")


@dataclass(frozen=True)
class Output:
    """A named artifact a task produces from what it returns.

    A returned Python object is stored as the entry ``value`` (``value.parquet`` for a DataFrame
    when pyarrow is installed, ``value.json``…; ``artifact.get("value")`` reads it), written by
    ``serializer`` if given: a built-in name (``"pandas"`` for JSON, ``"pickle"``…) or the import
    path of a serializer of your own (``"mypkg.formats:CSV"``, see :mod:`artiflow.serializers`).

    >>> Output("clean-data", type="dataset", aliases=("staging",))
    Output(name='clean-data', type='dataset', aliases=('staging',), tags=(), description=None, serializer=None)
    """

    name: str
    type: str = "dataset"
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str | None = None
    metadata: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    serializer: str | None = None


OutputSpec = Output | str | Sequence[Output | str]


def normalize_outputs(outputs: OutputSpec | None) -> tuple[tuple[Output, ...], bool]:
    """``(outputs, several)``: a single ``Output`` (or name) binds the whole return value."""
    if outputs is None:
        return (), False
    if isinstance(outputs, Output | str):
        return (_output(outputs),), False
    outs = tuple(_output(o) for o in outputs)
    names = [o.name for o in outs]
    if len(set(names)) != len(names):
        raise ValueError(f"Output names must be unique: {names}.")
    return outs, True


def _output(o: Output | str) -> Output:
    if isinstance(o, str):
        return Output(o)
    if not isinstance(o, Output):
        raise TypeError(f"outputs= takes Output objects or names, not {type(o).__name__}.")
    return o


def artifact_parameters(fn: Callable[..., Any]) -> frozenset[str]:
    """Parameters annotated with ``Artifact`` (alone, optional, or in a list): they accept paths too."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to the annotation text
        raw = getattr(fn, "__annotations__", {})
        return frozenset(
            k for k, v in raw.items() if k != "return" and _MENTIONS_ARTIFACT.search(v if isinstance(v, str) else "")
        )
    return frozenset(k for k, v in hints.items() if k != "return" and _mentions(v))


def _mentions(hint: Any) -> bool:
    if hint is Artifact:
        return True
    return any(_mentions(a) for a in typing.get_args(hint))


def check_declared(fn: Callable[..., Any], inputs: Sequence[str]) -> frozenset[str]:
    if isinstance(inputs, str):
        raise TypeError("inputs= takes a list of parameter names, e.g. inputs=['raw'].")
    params = inspect.signature(fn).parameters
    unknown = [n for n in inputs if n not in params]
    if unknown:
        raise ValueError(f"inputs= names {unknown}, which are not parameters of {fn.__name__}{inspect.signature(fn)}.")
    return frozenset(inputs)


# -- inputs --------------------------------------------------------------------------------------


def bind_inputs(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], paths: frozenset[str], scope: Scope
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Use every artifact input of this call; return the arguments with artifacts resolved."""
    bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    for name, value in bound.arguments.items():
        bound.arguments[name] = _bind(value, scope, name, strings=name in paths)
    return bound.args, bound.kwargs


def _bind(value: Any, scope: Scope, param: str, *, strings: bool) -> Any:
    if isinstance(value, PartRef):
        return scope.run().use_artifact(value.resolve(scope.store), use_as=param)
    if _one_version(value):  # what a collaborative .map returned: its one version
        return scope.run().use_artifact(value[0].resolve(scope.store), use_as=param)
    if isinstance(value, ArtifactRef):
        return scope.run().use_artifact(value.resolve(scope.store), use_as=param)
    if isinstance(value, Artifact):
        return scope.run().use_artifact(value, use_as=param)
    if strings and isinstance(value, str):
        return _use_path(value, scope, param)
    return _each(value, lambda v: _bind(v, scope, param, strings=strings))


def _use_path(path: str, scope: Scope, param: str) -> Artifact:
    """``use_artifact(path)``; a path that names no version is an error listing the versions and aliases that exist."""
    try:
        return scope.run().use_artifact(path, use_as=param)
    except ArtifactNotFoundError as exc:
        ref = names.ArtifactPath.parse(path, default_project=scope.project)
        found = scope.store.metadata.list_versions(ref.project, ref.name)
        raise ArtifactNotFoundError(
            f"Parameter {param!r}: " + names.missing_version(
                f"{ref.project}/{ref.name}", ref.selector, [v.version for v in found],
                (a for v in found for a in v.aliases), "pass one of those, or log that version first.",
            )
        ) from exc


def _one_version(value: Any) -> bool:
    """A non-empty list or tuple of parts, all of one collaborative version."""
    return (
        isinstance(value, list | tuple) and bool(value) and all(isinstance(v, PartRef) for v in value)
        and len({v.key for v in value}) == 1
    )


def _each(value: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to the items of a list, tuple or dict; the value itself if nothing changed."""
    if isinstance(value, list | tuple):
        items = [fn(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        if isinstance(value, tuple):
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)  # namedtuples
        return items  # list subclasses (e.g. Prefect's future lists) become plain lists
    if isinstance(value, dict):
        pairs = {k: fn(v) for k, v in value.items()}
        return value if all(pairs[k] is v for k, v in value.items()) else pairs
    return value


def parameters_of(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        return dict(inspect.signature(fn).bind_partial(*args, **kwargs).arguments)
    except TypeError:
        return {}


# -- outputs -------------------------------------------------------------------------------------


def log_outputs(result: Any, outputs: tuple[Output, ...], several: bool, scope: Scope) -> Any:
    """Log what the task returned; return it with every artifact replaced by its ``ArtifactRef``."""
    if not outputs:
        return _log_found(result, scope)
    if not several:
        return _log_one(result, outputs[0], scope)
    if isinstance(result, Mapping):
        missing = [o.name for o in outputs if o.name not in result]
        if missing:
            raise ValueError(f"The task declared outputs {missing} but its result has no such keys.")
        return {o.name: _log_one(result[o.name], o, scope) for o in outputs}
    if isinstance(result, list | tuple) and len(result) == len(outputs):
        return tuple(_log_one(v, o, scope) for v, o in zip(result, outputs, strict=True))
    raise TypeError(
        f"The task declared {len(outputs)} outputs; return a tuple of {len(outputs)} values or a dict "
        f"keyed by {[o.name for o in outputs]}, not {type(result).__name__}."
    )


def _log_found(value: Any, scope: Scope) -> Any:
    if isinstance(value, Artifact):
        return _ref(value, scope, None)
    return _each(value, lambda v: _log_found(v, scope))


def _log_one(value: Any, out: Output, scope: Scope) -> ArtifactRef | PartRef:
    if isinstance(value, ArtifactRef | PartRef):
        return value
    if isinstance(value, Artifact):
        if value.collection_name != out.name:
            raise ValueError(f"The task returned artifact {value.collection_name!r} for output {out.name!r}.")
        return _ref(value, scope, out)
    if value is None:
        raise ValueError(f"The task declared output {out.name!r} but returned None.")
    artifact = Artifact(out.name, out.type, out.description, dict(out.metadata or {}))
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if os.path.isdir(path):
            artifact.add_dir(path)
        elif os.path.isfile(path):
            artifact.add_file(path)
        else:
            raise FileNotFoundError(f"Output {out.name!r}: the task returned {path!r}, which is no file or directory.")
    else:
        artifact.add(value, names.VALUE_ENTRY, serializer=out.serializer)  # JSON, numpy, DataFrames…
    return _ref(artifact, scope, out)


def _ref(artifact: Artifact, scope: Scope, out: Output | None) -> ArtifactRef | PartRef:
    if not artifact.is_draft():
        return ArtifactRef.of(artifact)
    aliases = list(out.aliases) if out else []
    tags = list(out.tags) if out else []
    if scope.part is not None:  # a mapped run of a collaborative .map
        return scope.run().upsert_part(artifact, aliases, tags)
    scope.run().log_artifact(artifact, aliases=aliases, tags=tags)
    return ArtifactRef.of(artifact)
