"""Team-scale benchmark: object-storage throughput and concurrent commit rate.

    uv run python benchmarks/bench_team.py [--quick] [--out results.json]

Needs the same servers as the PostgreSQL + S3 tests (see tests/conftest.py):
ARTIFLOW_TEST_S3_ENDPOINT for the S3 figures, ARTIFLOW_TEST_POSTGRES_URL for the PostgreSQL
commit rate. What is not configured is reported as skipped.

1. log and download throughput to the S3 server, each as a ratio to a plain s3fs put/get of
   the same bytes in the same run (1.0 = as fast as s3fs alone);
2. commits per second with 16 concurrent writer processes, on SQLite and on PostgreSQL (blobs on
   local disk, so the figure is the database's).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import artiflow

BUCKET = "artiflow-bench"


def _s3(endpoint: str) -> Any:
    import s3fs

    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    return fs


def s3_throughput(endpoint: str, work: Path, files: int, size: int, repeat: int) -> dict[str, Any]:
    src = work / "src"
    src.mkdir()
    for i in range(files):
        (src / f"f{i:04d}.bin").write_bytes(os.urandom(size))
    total = files * size
    fs = _s3(endpoint)
    options = {"client_kwargs": {"endpoint_url": endpoint}}
    put, get, log, dl = [], [], [], []
    for _ in range(repeat):
        prefix = f"{BUCKET}/plain-{uuid.uuid4().hex}"
        t = time.perf_counter()
        fs.put(str(src) + "/", prefix + "/", recursive=True)
        put.append(time.perf_counter() - t)
        out = work / f"plain-{uuid.uuid4().hex}"
        t = time.perf_counter()
        fs.get(prefix + "/", str(out) + "/", recursive=True)
        get.append(time.perf_counter() - t)

        store = artiflow.Store.open(
            artiflow.Settings(
                home=work / f"home-{uuid.uuid4().hex}", storage_url=f"s3://{BUCKET}/store-{uuid.uuid4().hex}",
                storage_options=options,
            )
        )
        art = artiflow.Artifact("data", "dataset")
        art.add_dir(src)
        t = time.perf_counter()
        with artiflow.init(project="bench", store=store) as run:
            run.log_artifact(art)
        log.append(time.perf_counter() - t)
        t = time.perf_counter()
        art.download(work / f"dl-{uuid.uuid4().hex}")
        dl.append(time.perf_counter() - t)
        store.close()
    m = statistics.median
    return {
        "files": files, "bytes": total,
        "s3fs_put_s": m(put), "s3fs_get_s": m(get), "log_s": m(log), "download_s": m(dl),
        "log_ratio_to_s3fs_put": m(log) / m(put), "download_ratio_to_s3fs_get": m(dl) / m(get),
        "log_MBps": total / m(log) / 1e6, "download_MBps": total / m(dl) / 1e6,
    }


WRITER = textwrap.dedent(
    """
    import os, sys, tempfile, artiflow
    n = int(sys.argv[2])
    tmp = tempfile.mkdtemp()
    store = artiflow.Store.open()
    with artiflow.init(project="bench", store=store) as run:
        sys.stdout.write("ready\\n"); sys.stdout.flush()
        sys.stdin.readline()
        for i in range(n):
            p = os.path.join(tmp, "v.txt")
            with open(p, "w") as f:
                f.write(f"{sys.argv[1]} {i}\\n")
            art = artiflow.Artifact("shared", "dataset")
            art.add_file(p)
            run.log_artifact(art)
    """
)


def commit_rate(env: dict[str, str], writers: int, per_writer: int) -> dict[str, Any]:
    """Start every writer, wait until all are ready, release them together, time the commits."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(w), str(per_writer)], env={**os.environ, **env},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        for w in range(writers)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    t = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        p.wait(timeout=900)
        assert p.returncode == 0
    elapsed = time.perf_counter() - t
    commits = writers * per_writer
    return {"writers": writers, "commits": commits, "seconds": elapsed, "commits_per_s": commits / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    endpoint = os.environ.get("ARTIFLOW_TEST_S3_ENDPOINT")
    pg = os.environ.get("ARTIFLOW_TEST_POSTGRES_URL")
    files, size, repeat = (20, 64 << 10, 1) if args.quick else (200, 256 << 10, 3)
    per_writer = 3 if args.quick else 20
    results: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="artiflow-bench-team-"))
    try:
        if endpoint:
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
            os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
            results["s3"] = s3_throughput(endpoint, work, files, size, repeat)
        else:
            results["s3"] = {"skipped": "set ARTIFLOW_TEST_S3_ENDPOINT"}
        results["commits_sqlite"] = commit_rate({"ARTIFLOW_HOME": str(work / "sqlite")}, 16, per_writer)
        if pg:
            import sqlalchemy as sa

            admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
            db = f"artiflow_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
            try:
                url = admin.url.set(database=db).render_as_string(hide_password=False)
                env = {"ARTIFLOW_HOME": str(work / "pg"), "ARTIFLOW_DATABASE_URL": url}
                artiflow.Store.open(home=work / "pg", database_url=url).close()
                results["commits_postgres"] = commit_rate(env, 16, per_writer)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        else:
            results["commits_postgres"] = {"skipped": "set ARTIFLOW_TEST_POSTGRES_URL"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, figures in results.items():
        print(f"{name}:")
        for key, value in figures.items():
            print(f"  {key:28} {value:.3f}" if isinstance(value, float) else f"  {key:28} {value}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
