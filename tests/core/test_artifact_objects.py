"""``add(obj, name)`` / ``get(name)`` / ``artifact[name]``: typed objects that round-trip exactly."""

from __future__ import annotations

import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import artiflow
from artiflow import Artifact, ArtiflowError, EntryConflictError, Manifest
from artiflow.serializers import EXTRA_KEY

Log = Callable[..., Artifact]  # the ``log`` fixture


@pytest.fixture
def fresh(store):
    opened: list[artiflow.Store] = []

    def get(name: str = "p/objs:latest") -> Artifact:
        other = artiflow.Store.open(home=Path(store.settings.home))
        opened.append(other)
        return artiflow.Api(store=other).artifact(name)

    yield get
    for s in opened:
        s.close()


class Opaque:
    def __init__(self, value: int) -> None:
        self.value = value


# -- JSON --------------------------------------------------------------------------------------


def test_dicts_and_lists_round_trip(store, fresh, log: Log) -> None:
    cfg = {"lr": 0.001, "layers": [64, 32], "name": "résumé", "nested": {"ok": True, "none": None}}
    rows = [1, 2.5, "three", [4], {"five": 5}]
    art = Artifact("objs", "dataset")
    e1 = art.add(cfg, "config")
    art["rows"] = rows
    assert e1.path == "config.json"
    assert e1.extra == {EXTRA_KEY: "json"}
    with pytest.raises(artiflow.ArtifactNotLoggedError):  # as the W&B reference says: log it first
        art.get("config")
    log(store, art)
    assert sorted(e.path for e in art.files()) == ["config.json", "rows.json"]
    got = fresh()
    assert got.get("config") == cfg
    assert got["rows"] == rows
    assert got.get("config.json") == cfg  # the suffix is optional


def test_get_unknown_name_is_none(store, log: Log) -> None:
    art = Artifact("objs", "dataset")
    art.add({"a": 1}, "a")
    log(store, art)
    assert art.get("missing") is None
    assert art["missing"] is None


def test_plain_json_file_loads_through_get(store, make_tree, log: Log) -> None:
    root = make_tree({"data.json": '{"x": [1, 2]}'})
    art = Artifact("objs", "dataset")
    art.add_file(root / "data.json")
    log(store, art)
    assert art.get("data") == {"x": [1, 2]}


def test_unsupported_objects_need_an_explicit_serializer() -> None:
    art = Artifact("objs", "dataset")
    for obj in [Opaque(1), {"nan": float("nan")}, {"obj": Opaque(2)}, {1, 2}, np.array([Opaque(3)], dtype=object)]:
        with pytest.raises(TypeError, match="serializer='pickle'"):
            art.add(obj, "x")
    assert art.files() == []


def test_unknown_serializer_name() -> None:
    with pytest.raises(ArtiflowError, match="No serializer named 'yaml'"):
        Artifact("objs", "dataset").add({"a": 1}, "a", serializer="yaml")


def test_object_names_are_entry_paths(store, log: Log) -> None:
    art = Artifact("objs", "dataset")
    assert art.add({"a": 1}, "deep/dir/cfg").path == "deep/dir/cfg.json"
    with pytest.raises(artiflow.InvalidNameError):
        art.add({"a": 1}, "../escape")
    with pytest.raises(EntryConflictError):
        art.add({"a": 2}, "deep/dir/cfg")
    log(store, art)
    assert art.get("deep/dir/cfg") == {"a": 1}


# -- numpy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(12, dtype=np.int32).reshape(3, 4),
        np.array([0.1, 1 / 3, np.nan, np.inf, -0.0], dtype=np.float64),
        np.array([1.5, 2.25], dtype=np.float16),
        np.array([True, False]),
        np.array([1 + 2j], dtype=np.complex128),
        np.array(["a", "bé"], dtype="<U2"),
        np.array(["2024-01-01T00:00:00.123456789"], dtype="datetime64[ns]"),
        np.zeros((0, 3), dtype=np.uint8),
        np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
        np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    ],
    ids=["int32-2d", "float64", "float16", "bool", "complex", "unicode", "datetime", "empty", "fortran", "struct"],
)
def test_numpy_arrays_round_trip_exactly(arr: np.ndarray, store, fresh, log: Log) -> None:
    art = Artifact("objs", "dataset")
    assert art.add(arr, "arr").path == "arr.npy"
    log(store, art)
    back = fresh()["arr"]
    assert isinstance(back, np.ndarray)
    assert back.dtype == arr.dtype
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back, arr, strict=True)
    assert back.tobytes() == np.ascontiguousarray(arr).tobytes()  # bit-exact, -0.0 and NaN included


# -- pandas ------------------------------------------------------------------------------------


def _frames() -> dict[str, pd.DataFrame]:
    return {
        "basic": pd.DataFrame(
            {"i": [1, 2, 3], "f": [np.pi, np.nan, 1 / 3], "b": [True, False, True], "s": ["a", "b", "c"]},
            index=pd.Index([10, 20, 30], name="key"),
        ),
        "narrow": pd.DataFrame(
            {
                "i8": np.array([-1, 2], dtype=np.int8),
                "i32": np.array([1, 2**31 - 1], dtype=np.int32),
                "u8": np.array([0, 255], dtype=np.uint8),
                "f32": np.array([0.1, 3.4e38], dtype=np.float32),
            }
        ),
        "times": pd.DataFrame(
            {
                "ns": pd.to_datetime(["2024-01-01 00:00:00.123456789", None]).as_unit("ns"),
                "us": pd.to_datetime(["2024-01-01 00:00:00.123456", "2024-06-30 12:00:00.000001"]).as_unit("us"),
                "tz": pd.to_datetime(["2024-03-31 01:30:00", "2024-10-27 02:30:00"]).tz_localize(
                    "UTC"
                ).tz_convert("Europe/Paris"),
                "td": pd.to_timedelta(["1 days 00:00:00.000000001", None]),
            },
            index=pd.Index(["x", "y"], name="id"),
        ),
        "categories": pd.DataFrame(
            {"c": pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True)}
        ),
        "nullable": pd.DataFrame(
            {
                "I": pd.array([1, None], dtype="Int64"),
                "F": pd.array([0.1, None], dtype="Float64"),
                "S": pd.array(["a", None], dtype="string"),
                "B": pd.array([True, None], dtype="boolean"),
            }
        ),
        "float-index": pd.DataFrame({"v": [1, 2]}, index=pd.Index([0.1, 1 / 3], name="x")),
        "multi-index": pd.DataFrame(
            {"v": [1.1, 2.2, 3.3]},
            index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["grp", "n"]),
        ),
        "datetime-index": pd.DataFrame(
            {"v": [1, 2]}, index=pd.DatetimeIndex(["2024-01-01", "2024-01-02"], name="day").as_unit("s")
        ),
        "unnamed-index": pd.DataFrame({"v": [1, 2]}, index=[7, 3]),
        "empty": pd.DataFrame({"a": pd.Series([], dtype="int16"), "b": pd.Series([], dtype="str")}),
    }


@pytest.mark.parametrize("serializer", ["parquet", "pandas"])
@pytest.mark.parametrize("case", list(_frames()))
def test_dataframes_round_trip_dtypes_index_and_values(case: str, serializer: str, store, fresh, log: Log) -> None:
    df = _frames()[case]
    art = Artifact("objs", "dataset")
    entry = art.add(df, "frame", serializer=serializer)
    assert entry.path == {"parquet": "frame.parquet", "pandas": "frame.pandas.json"}[serializer]
    assert entry.extra == {EXTRA_KEY: serializer}
    pd.testing.assert_frame_equal(df, _frames()[case], check_exact=True)  # the caller's frame is untouched
    log(store, art)
    back = fresh().get("frame")
    assert isinstance(back, pd.DataFrame)
    assert list(back.dtypes.astype(str)) == list(df.dtypes.astype(str))
    assert back.index.names == df.index.names
    pd.testing.assert_frame_equal(back, df, check_exact=True)


def test_dataframes_are_parquet_when_pyarrow_is_installed_else_pandas_json(
    store, fresh, log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = _frames()["basic"]
    art = Artifact("objs", "dataset")
    assert art.add(df, "frame").path == "frame.parquet"
    log(store, art)
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "pyarrow", None)  # as if pyarrow were not installed
        art = Artifact("objs", "dataset")
        assert art.add(df, "frame").path == "frame.pandas.json"
        log(store, art)
        pd.testing.assert_frame_equal(fresh("p/objs:v1").get("frame"), df, check_exact=True)
        with pytest.raises(artiflow.MissingDependencyError, match=r"artiflow\[parquet\]"):
            fresh("p/objs:v0").get("frame")
    # Both load once pyarrow is there: a version logged as JSON still reads as the frame.
    pd.testing.assert_frame_equal(fresh("p/objs:v0").get("frame"), df, check_exact=True)
    pd.testing.assert_frame_equal(fresh("p/objs:v1").get("frame"), df, check_exact=True)


def test_parquet_of_the_same_frame_is_the_same_version(store, log: Log) -> None:
    first, again = Artifact("objs", "dataset"), Artifact("objs", "dataset")
    first.add(_frames()["times"], "frame")
    again.add(_frames()["times"], "frame")
    log(store, first)
    log(store, again)
    assert again.version == first.version == "v0"


def test_dataframe_is_read_back_once_logged(store, log: Log) -> None:
    df = _frames()["basic"]
    art = Artifact("objs", "dataset")
    art.add(df, "frame")
    with pytest.raises(artiflow.ArtifactNotLoggedError):  # W&B's get() reads logged versions only
        art.get("frame")
    log(store, art)
    pd.testing.assert_frame_equal(art.get("frame"), df, check_exact=True)


def test_dataframe_file_is_pandas_table_json(store, log: Log) -> None:
    # The file stays readable by plain pandas, without artiflow.
    df = _frames()["basic"]
    art = Artifact("objs", "dataset")
    art.add(df, "frame", serializer="pandas")
    log(store, art)
    path = Path(art.download()) / "frame.pandas.json"
    plain = pd.read_json(path, orient="table")
    assert list(plain.columns) == list(df.columns)
    assert plain.index.name == "key"


def test_dict_and_dataframe_with_the_same_name_coexist(store, log: Log) -> None:
    df = _frames()["unnamed-index"]
    art = Artifact("objs", "dataset")
    art.add({"a": 1}, "thing")
    art.add(df, "thing")
    log(store, art)
    assert art.get("thing") == {"a": 1}
    pd.testing.assert_frame_equal(art.get("thing.parquet"), df, check_exact=True)


# -- pickle ------------------------------------------------------------------------------------


def test_pickle_is_opt_in_on_add_and_on_load(store, fresh, log: Log) -> None:
    art = Artifact("objs", "dataset")
    with pytest.raises(TypeError):
        art.add(Opaque(7), "model")  # never chosen by default
    entry = art.add(Opaque(7), "model", serializer="pickle")
    assert entry.path == "model.pkl"
    assert entry.extra == {EXTRA_KEY: "pickle"}
    log(store, art)
    with pytest.raises(PermissionError, match="allow_pickle=True"):
        art.get("model")
    got = fresh()
    with pytest.raises(PermissionError):
        got.get("model")
    with pytest.raises(PermissionError):
        got["model"]
    assert got.get("model", allow_pickle=True).value == 7


def test_a_plain_pkl_file_is_not_loaded_without_permission(store, make_tree, tmp_path: Path, log: Log) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (marker,))

    root = make_tree({"evil.pkl": pickle.dumps(Evil())})
    art = Artifact("objs", "dataset")
    art.add_file(root / "evil.pkl")
    log(store, art)
    with pytest.raises(PermissionError):
        art.get("evil")
    assert not marker.exists()


def test_manifest_cannot_vouch_for_a_pkl_file(store, make_tree, tmp_path: Path, log: Log) -> None:
    """A manifest whose extra claims ``json`` for a pickle file still never unpickles it."""
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (Path.touch, (marker,))

    root = make_tree({"m.pkl": pickle.dumps(Evil())})
    art = Artifact("objs", "dataset")
    art.add_file(root / "m.pkl")
    log(store, art)
    # Rewrite the manifest so the entry claims to be JSON.
    m = art.manifest
    forged = Manifest.from_entries(
        [e.model_copy(update={"extra": {EXTRA_KEY: "json"}}) for e in m]
    )
    with artiflow.init(project="p", store=store) as run:
        res = store.commit(
            project="p", name="forged", type_="dataset", manifest=forged, run_id=run.id,
            description=None, metadata={}, aliases=[], tags=[],
        )
    assert res.created
    got = artiflow.Api(store=store).artifact("p/forged:v0")
    with pytest.raises(ValueError):  # parsed as JSON, which pickle bytes are not
        got.get("m")
    assert not marker.exists()


# -- serializers of one's own ------------------------------------------------------------------

_CSV_MODULE = '''
import pandas as pd
from artiflow.serializers import Serializer

CSV = Serializer(
    "my_formats:CSV", ".csv", handles=lambda obj: isinstance(obj, pd.DataFrame),
    dump=lambda frame, path: frame.to_csv(path, index=False),
    load=lambda path: pd.read_csv(path),
)
'''


def test_a_serializer_named_by_import_path_writes_and_reads_back_anywhere(
    store, fresh, log: Log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_formats.py").write_text(_CSV_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    art = Artifact("objs", "dataset")
    entry = art.add(df, "frame", serializer="my_formats:CSV")
    assert (entry.path, entry.extra) == ("frame.csv", {EXTRA_KEY: "my_formats:CSV"})
    log(store, art)
    assert (Path(art.download()) / "frame.csv").read_text().splitlines() == ["a,b", "1,x", "2,y"]
    pd.testing.assert_frame_equal(fresh().get("frame"), df)  # another store object imports it by name
    assert fresh().get("other") is None  # W&B: no such object is None


def test_a_serializer_that_cannot_be_imported_is_named_in_the_error(store) -> None:
    art = Artifact("objs", "dataset")
    with pytest.raises(ArtiflowError, match=r"'nowhere_pkg:CSV' cannot be imported"):
        art.add({"a": 1}, "frame", serializer="nowhere_pkg:CSV")
    with pytest.raises(ArtiflowError, match=r"is a function, not an artiflow.serializers.Serializer"):
        art.add({"a": 1}, "frame", serializer="artiflow.serializers:default_registry")


@pytest.mark.parametrize(("bad", "named"), [({1: "x"}, "of type int"), ({"x": object()}, "of type object")])
def test_metadata_that_is_not_json_is_named_by_its_type(bad: dict[object, object], named: str) -> None:
    with pytest.raises(TypeError) as refused:
        Artifact("cats", "dataset", metadata=bad)  # type: ignore[arg-type]
    assert named in str(refused.value)
