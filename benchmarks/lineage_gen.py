"""Build a synthetic artiflow store for the lineage benchmark: about N nodes and 2N edges.

The store is a real one (``<home>/artiflow.db`` created by ``Store.open``, so the schema and its
migration stamp are artiflow's own); the records are bulk-inserted with ``sqlite3.executemany``
in one transaction, exactly as artiflow would have written them one by one: collections, versions
(each with a ``latest`` alias on the newest, a manifest digest pointing at a stored empty
manifest), finished runs, and ``logged``/``used`` edges in causal order.

    uv run python benchmarks/lineage_gen.py --nodes 1000000 [--root DIR] [--seed 0]

Shape, for ``N = --nodes`` (project ``bench``, K = 4 chains); a *step* is one link of every chain,
and at every step, for every chain k:

- **long chains** ``chain-0`` … ``chain-{K-1}`` of length ``L``: run ``chain-k/i`` (job ``train``)
  uses ``chain-k:v(i-1)`` and logs ``chain-k:vi``. ``chain-0`` is pure (nothing else goes in);
  the other chains' runs also use 3 feature versions made ``1 + Exp(50)`` steps earlier, on any
  chain, so their ancestry spreads like a real project's.
- **wide fan-out**: one ``ingest`` run logs ``raw:v0`` … ``raw:v7``; every feature and eval run
  uses one of them (about N/20 users each).
- **many runs using old versions**: 2 feature runs (job ``features``) each use a hub version,
  ``chain-k:v(i - Exp(200))`` and, half the time, a feature version made ``1 + Exp(20)`` steps
  earlier, and log a version of ``features-0`` … ``features-99``; 2 eval runs (job ``eval``) each
  use ``chain-k:v(i - Exp(200))``, a hub version and 2 recent feature versions, and log a version
  of ``metrics-0`` … ``metrics-99`` that nothing uses.

Per step and chain: 10 nodes and about 21 edges, so ``L = (N - 9) / (10 K)``. At N = 1,000,000 a
depth-20 upstream query from the end of ``chain-1`` reaches about 11.6k nodes, close to the
12.4k-node depth-20 answer that the 150 ms target was derived from. Ids are derived from names (:func:`version_id`,
:func:`run_id`), so tests and the benchmark know them without asking.
A finished store is reused: it lives under a directory named after its parameters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

GENERATOR_VERSION = 3
PROJECT = "bench"
HUBS = 8
FEATURES_PER_STEP = 2  # feature runs per chain and step
EVALS_PER_STEP = 2  # eval runs per chain and step
COLLECTIONS = 100  # of features, and of metrics
CHAIN_FEATURE_INPUTS = 3  # feature versions a train run uses (chains other than chain-0)
EVAL_FEATURE_INPUTS = 2
FEATURE_AGE = 50  # mean age, in steps, of the feature versions a train or eval run uses
OLD_VERSION_AGE = 200  # mean age of the chain version a feature or eval run uses
DERIVED_AGE = 20  # mean age of the feature version a derived feature run uses
DERIVED_SHARE = 0.5  # of feature runs that also use an older feature version
DEFAULT_HOME = Path(__file__).resolve().parent / ".work"
PLAN = "lineage-plan.json"
_FLUSH = 50_000


@dataclass(frozen=True)
class Params:
    nodes: int = 1_000_000
    chains: int = 4
    seed: int = 0

    @property
    def chain_length(self) -> int:
        return max(2, (self.nodes - HUBS - 1) // (2 * (1 + FEATURES_PER_STEP + EVALS_PER_STEP) * self.chains))

    @property
    def key(self) -> str:
        return f"lineage-n{self.nodes}-k{self.chains}-s{self.seed}-g{GENERATOR_VERSION}"


def version_id(params: Params, collection: str, index: int) -> str:
    """The id of ``bench/<collection>:v<index>`` (random-looking, like artiflow's uuid4 hex)."""
    return hashlib.md5(f"{params.seed}/{collection}:{index}".encode()).hexdigest()


def run_id(params: Params, name: str) -> str:
    """The id of the run named ``name`` (``chain-1/42``, ``features-1/42/3``, ``ingest``)."""
    return hashlib.md5(f"{params.seed}/run/{name}".encode()).hexdigest()[:16]


def chain_ref(k: int, i: int) -> str:
    return f"{PROJECT}/chain-{k}:v{i}"


def collection_names(params: Params) -> list[str]:
    names = [f"chain-{k}" for k in range(params.chains)] + ["raw"]
    return names + [f"{kind}-{m}" for kind in ("features", "metrics") for m in range(COLLECTIONS)]


class _Writer:
    """Buffers rows per table and flushes them with ``executemany``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.rows: dict[str, list[tuple[Any, ...]]] = {"runs": [], "versions": [], "edges": []}
        self.counts = dict.fromkeys(self.rows, 0)
        self.sql = {
            "runs": 'INSERT INTO runs (id, project, name, "group", job_type, config, state, exit_code, '
            "created_at, finished_at, key) VALUES (?, ?, ?, NULL, ?, '{}', 'finished', 0, ?, ?, ?)",
            "versions": "INSERT INTO versions (id, collection_id, version_index, digest, manifest_digest, "
            "state, description, metadata, size, file_count, run_id, distributed_id, created_at, updated_at, key) "
            "VALUES (?, ?, ?, ?, ?, 'COMMITTED', NULL, '{}', 0, 0, ?, NULL, ?, ?, ?)",
            "edges": "INSERT INTO edges (id, run_id, version_id, kind, created, use_as, created_at, run_key, "
            "version_key) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)",
        }

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        buf = self.rows[table]
        buf.append(row)
        if len(buf) >= _FLUSH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for t in [table] if table else list(self.rows):
            if self.rows[t]:
                self.conn.executemany(self.sql[t], self.rows[t])
                self.counts[t] += len(self.rows[t])
                self.rows[t].clear()


def _clock(step: int) -> Iterator[str]:
    """Timestamps of one step, in SQLAlchemy's SQLite format, strictly increasing."""
    base = (datetime(2021, 1, 1) + timedelta(seconds=step)).strftime("%Y-%m-%d %H:%M:%S")
    return (f"{base}.{n:06d}" for n in range(1_000_000))


def _records(
    params: Params, w: _Writer, manifest_digest: str, digest: str, coll_ids: dict[str, int]
) -> dict[str, int]:
    """Write every run, version and edge; returns the newest version index per collection."""
    rng = random.Random(params.seed)
    K, L = params.chains, params.chain_length
    next_index: dict[str, int] = dict.fromkeys(coll_ids, 0)
    edge_id = 0
    # integer node keys, numbered in creation order as artiflow numbers them
    version_keys: dict[str, int] = {}
    run_keys: dict[str, int] = {}

    def log(run: str, coll: str, now: str) -> str:
        nonlocal edge_id
        idx = next_index[coll]
        next_index[coll] = idx + 1
        vid = version_id(params, coll, idx)
        version_keys[vid] = len(version_keys) + 1
        w.add("versions", (vid, coll_ids[coll], idx, digest, manifest_digest, run, now, now, version_keys[vid]))
        edge_id += 1
        w.add("edges", (edge_id, run, vid, "logged", 1, now, run_keys[run], version_keys[vid]))
        return vid

    def use(run: str, vid: str, now: str) -> None:
        nonlocal edge_id
        edge_id += 1
        w.add("edges", (edge_id, run, vid, "used", 0, now, run_keys[run], version_keys[vid]))

    def start(name: str, job_type: str, clock: Iterator[str]) -> tuple[str, str]:
        rid = run_id(params, name)
        now = next(clock)
        run_keys[rid] = len(run_keys) + 1
        w.add("runs", (rid, PROJECT, name, job_type, now, now, run_keys[rid]))
        return rid, now

    clock = _clock(0)
    ingest, now = start("ingest", "ingest", clock)
    hubs = [log(ingest, "raw", next(clock)) for _ in range(HUBS)]
    chain_versions: list[list[str]] = [[] for _ in range(K)]
    features: list[list[str]] = []  # per step: every feature version made at that step
    n_features = n_metrics = 0

    def old(versions: list[str], i: int, mean_age: int) -> str:
        return versions[max(0, i - int(rng.expovariate(1 / mean_age)))]

    def recent_feature(i: int, mean_age: int) -> str | None:
        j = i - 1 - int(rng.expovariate(1 / mean_age))
        return rng.choice(features[j]) if j >= 0 else None
    for i in range(L):
        clock = _clock(60 * (i + 1))
        made: list[str] = []
        for k in range(K):
            coll = f"chain-{k}"
            rid, now = start(f"chain-{k}/{i}", "train", clock)
            inputs: dict[str | None, None] = {}
            if i > 0:
                inputs[chain_versions[k][i - 1]] = None
            if k > 0:
                inputs.update((recent_feature(i, FEATURE_AGE), None) for _ in range(CHAIN_FEATURE_INPUTS))
            for vid in inputs:
                if vid is not None:
                    use(rid, vid, next(clock))
            chain_versions[k].append(log(rid, coll, next(clock)))
            for t in range(FEATURES_PER_STEP):
                rid, now = start(f"features-{k}/{i}/{t}", "features", clock)
                use(rid, hubs[rng.randrange(HUBS)], next(clock))
                use(rid, old(chain_versions[k], i, OLD_VERSION_AGE), next(clock))
                derived = recent_feature(i, DERIVED_AGE) if rng.random() < DERIVED_SHARE else None
                if derived is not None:
                    use(rid, derived, next(clock))
                made.append(log(rid, f"features-{n_features % COLLECTIONS}", next(clock)))
                n_features += 1
            for t in range(EVALS_PER_STEP):  # an old model on a benchmark and recent test sets
                rid, now = start(f"eval-{k}/{i}/{t}", "eval", clock)
                uses: dict[str | None, None] = dict.fromkeys(
                    [old(chain_versions[k], i, OLD_VERSION_AGE), hubs[rng.randrange(HUBS)]]
                )
                uses.update((recent_feature(i, FEATURE_AGE), None) for _ in range(EVAL_FEATURE_INPUTS))
                for vid in uses:
                    if vid is not None:
                        use(rid, vid, next(clock))
                log(rid, f"metrics-{n_metrics % COLLECTIONS}", next(clock))
                n_metrics += 1
        features.append(made)
    w.flush()
    return {c: n - 1 for c, n in next_index.items() if n}


def _empty_manifest_digest(home: Path) -> tuple[str, str]:
    """Create the store the artiflow way and store an empty manifest in it: the manifest's blob
    digest, and the content digest every version records (that of an empty manifest)."""
    from artiflow import Manifest, Store

    store = Store.open(home=home)
    try:
        return str(store.blobs.put_bytes(Manifest().to_json())), Manifest().digest()
    finally:
        store.close()


def generate(params: Params, home: Path) -> dict[str, Any]:
    """Write the store into ``home`` (which must not exist yet); returns the plan."""
    started = time.perf_counter()
    manifest_digest, content_digest = _empty_manifest_digest(home)
    conn = sqlite3.connect(home / "artiflow.db", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")  # a half-written store is thrown away, never read
        conn.execute("PRAGMA synchronous=OFF")
        # Secondary indexes are rebuilt after the load from artiflow's own DDL: much faster.
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        names = collection_names(params)
        created = "2021-01-01 00:00:00.000000"
        conn.executemany(
            "INSERT INTO collections (id, project, name, type, kind, created_at) VALUES (?, ?, ?, ?, 'sequence', ?)",
            [(n + 1, PROJECT, name, _type(name), created) for n, name in enumerate(names)],
        )
        coll_ids = {name: n + 1 for n, name in enumerate(names)}
        w = _Writer(conn)
        newest = _records(params, w, manifest_digest, content_digest, coll_ids)
        conn.executemany(
            "INSERT INTO aliases (collection_id, alias, version_id) VALUES (?, 'latest', ?)",
            [(coll_ids[c], version_id(params, c, i)) for c, i in newest.items()],
        )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")  # what artiflow uses
    finally:
        conn.close()
    plan = {
        "params": asdict(params),
        "key": params.key,
        "chain_length": params.chain_length,
        "nodes": w.counts["runs"] + w.counts["versions"],
        "runs": w.counts["runs"],
        "versions": w.counts["versions"],
        "edges": w.counts["edges"],
        "collections": len(names),
        "generate_s": round(time.perf_counter() - started, 3),
        "db_bytes": (home / "artiflow.db").stat().st_size,
    }
    (home / PLAN).write_text(json.dumps(plan, indent=2))
    return plan


def _type(collection: str) -> str:
    return "model" if collection.startswith("chain-") else "dataset"


def ensure(params: Params, root: Path = DEFAULT_HOME) -> tuple[Path, dict[str, Any], bool]:
    """The store for ``params`` under ``root``, generated unless a finished one is there.

    Returns ``(home, plan, reused)``. A store is finished once its plan file exists; it is built
    in a temporary directory and renamed into place, so an interrupted run leaves no half store.
    """
    home = root / params.key
    plan_path = home / PLAN
    if plan_path.exists():
        from artiflow import Store

        Store.open(home=home).close()  # upgrade its schema now, not inside a measurement
        return home, json.loads(plan_path.read_text()), True
    tmp = root / f"{params.key}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    plan = generate(params, tmp)
    shutil.rmtree(home, ignore_errors=True)
    tmp.rename(home)
    return home, plan, False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=Params.nodes)
    ap.add_argument("--chains", type=int, default=Params.chains)
    ap.add_argument("--seed", type=int, default=Params.seed)
    ap.add_argument("--root", type=Path, default=DEFAULT_HOME, help="stores live in ROOT/<parameters>")
    args = ap.parse_args(argv)
    home, plan, reused = ensure(Params(args.nodes, args.chains, args.seed), args.root)
    print(f"{'reused' if reused else 'generated'} {home}")
    print(json.dumps(plan, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
