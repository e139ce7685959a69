"""Seeds 004 ("Create an artifact", Korean) and 001 (new versions: simple and collaborative, Japanese).

Each test runs one code sample after ``import artiflow as wandb``, with only setup around it (the
files it adds, S3 buckets on the loopback server). The ``ray`` sample is not run (ray is not a
dependency); its artifact steps (``Table`` parts upserted by a group, a ``PartitionedTable``) are
run by writers in threads instead, named as an edit below.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

import artiflow as wandb


def test_construct_an_artifact() -> None:
    # edit: the sample's "<replace>" placeholders, replaced as the sample asks
    artifact = wandb.Artifact(name="cats", type="dataset")
    assert (artifact.name, artifact.type) == ("cats", "dataset")


def test_add_a_file_then_log_it_from_a_run(files: Callable[..., None]) -> None:
    files("hello_world.txt")
    artifact = wandb.Artifact(name="hello", type="dataset")  # step 1 (its placeholders replaced)
    artifact.add_file(local_path="hello_world.txt", name="optional-name")

    # W&B Run을 생성합니다. 'job-type'을 바꿉니다.
    run = wandb.init(project="artifacts-example", job_type="job-type")
    run.log_artifact(artifact)

    got = wandb.Api().artifact("artifacts-example/hello:latest")
    assert list(got.manifest.contents) == ["optional-name"] and got.logged_by().job_type == "job-type"


def test_logging_in_a_loop() -> None:
    run = wandb.init()  # setup
    for i in range(10):
        a = wandb.Artifact(
            "race",
            type="dataset",
            metadata={
                "index": i,
            },
        )
        # ... artifact a에 파일 추가 ...
        run.log_artifact(a)

    # Logging is synchronous here: every log is ordered, and ten empty artifacts are one version.
    assert [v.version for v in wandb.Api().artifacts("dataset", "race")] == ["v0"]


def test_add_a_single_file(files: Callable[..., None]) -> None:
    files("path/file.format", "path/file.txt")
    artifact = wandb.Artifact("single", "dataset")
    # 단일 파일 추가
    artifact.add_file(local_path="path/file.format")
    assert sorted(artifact.manifest.contents) == ["file.format"]
    artifact = wandb.Artifact("single2", "dataset")
    artifact.add_file("path/file.txt") # `file.txt`로 추가됨
    assert sorted(artifact.manifest.contents) == ["file.txt"]
    artifact = wandb.Artifact("single3", "dataset")
    artifact.add_file(local_path="path/file.format", name="new/path/file.format")
    assert sorted(artifact.manifest.contents) == ["new/path/file.format"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("artifact.add_file('model.h5')", ["model.h5"]),
        ("artifact.add_file('checkpoints/model.h5')", ["model.h5"]),
        ("artifact.add_file('model.h5', name='models/mymodel.h5')", ["models/mymodel.h5"]),
        ("artifact.add_dir('images')", ["cat.png", "dog.png"]),
        ("artifact.add_dir('images', name='images')", ["images/cat.png", "images/dog.png"]),
    ],
)
def test_the_api_call_table(call: str, expected: list[str], files: Callable[..., None]) -> None:
    files("images/cat.png", "images/dog.png", "checkpoints/model.h5", "model.h5")  # the sample's project-directory
    artifact = wandb.Artifact("table", "dataset")
    exec(call)  # the table's call, as written
    assert sorted(artifact.manifest.contents) == expected


def test_new_file_from_the_table() -> None:
    artifact = wandb.Artifact("table", "dataset")
    with artifact.new_file('hello.txt') as f:  # the table's call, used as the context manager it returns
        f.write("hi")
    assert list(artifact.manifest.contents) == ["hello.txt"]


def test_add_a_directory(files: Callable[..., None]) -> None:
    files("path/file.format/a.txt", "path/file.format/sub/b.txt")  # the sample's directory
    artifact = wandb.Artifact("dir", "dataset")
    # 디렉토리를 재귀적으로 추가합니다.
    artifact.add_dir(local_path="path/file.format", name="optional-prefix")
    assert sorted(artifact.manifest.contents) == ["optional-prefix/a.txt", "optional-prefix/sub/b.txt"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("artifact.add_reference('s3://my-bucket/model.h5')", ["model.h5"]),
        ("artifact.add_reference('s3://my-bucket/checkpoints/model.h5')", ["model.h5"]),
        ("artifact.add_reference('s3://my-bucket/model.h5', name='models/mymodel.h5')", ["models/mymodel.h5"]),
        ("artifact.add_reference('s3://my-bucket/images')", ["cat.png", "dog.png"]),
        ("artifact.add_reference('s3://my-bucket/images', name='images')", ["images/cat.png", "images/dog.png"]),
    ],
)
def test_the_reference_table(call: str, expected: list[str], s3_buckets: Callable[[str], object]) -> None:
    fs = s3_buckets("my-bucket")
    for key in ("model.h5", "checkpoints/model.h5", "images/cat.png", "images/dog.png"):
        fs.pipe(f"my-bucket/{key}", key.encode())  # type: ignore[attr-defined]
    artifact = wandb.Artifact("refs", "dataset")
    exec(call)  # the table's call, as written
    with wandb.init() as run:
        run.log_artifact(artifact)
    assert sorted(artifact.manifest.contents) == expected
    assert all(e.ref and e.ref.startswith("s3://my-bucket/") for e in artifact.manifest)


def test_parallel_runs_build_one_artifact() -> None:
    # edit: ray is not a dependency; the writers run in threads (each its own run, as ray's
    # workers would be), and ray.init / train.remote / ray.get become threads started and joined.
    artifact_type = "dataset"
    artifact_name = "parallel-artifact"
    table_name = "distributed_table"
    parts_path = "parts"
    num_parallel = 5

    # 병렬 작성기의 각 배치는 자체 고유한 그룹 이름을 가져야 합니다.
    group_name = "writer-group-{}".format(round(time.time()))

    def train(i):  # type: ignore[no-untyped-def]
        """
        작성기 작업입니다. 각 작성기는 Artifact에 이미지를 하나 추가합니다.
        """
        with wandb.init(group=group_name) as run:
            artifact = wandb.Artifact(name=artifact_name, type=artifact_type)
            # 데이터를 wandb 테이블에 추가합니다. 이 경우 예제 데이터를 사용합니다.
            table = wandb.Table(columns=["a", "b", "c"], data=[[i, i * 2, 2**i]])
            # Artifact의 폴더에 테이블을 추가합니다.
            artifact.add(table, "{}/table_{}".format(parts_path, i))
            # Artifact를 업서트하면 Artifact에 데이터를 만들거나 추가합니다.
            run.upsert_artifact(artifact)

    threads = [threading.Thread(target=train, args=(i,)) for i in range(num_parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # 모든 작성기가 완료되면 Artifact를 완료합니다.
    # 준비되었음을 표시합니다.
    with wandb.init(group=group_name) as run:
        artifact = wandb.Artifact(artifact_name, type=artifact_type)
        # 테이블 폴더를 가리키는 "PartitionTable"을 만듭니다.
        # Artifact에 추가합니다.
        artifact.add(wandb.data_types.PartitionedTable(parts_path), table_name)
        # Finish artifact는 Artifact를 완료하고 향후 "upserts"를 허용하지 않습니다.
        # 이 버전으로.
        run.finish_artifact(artifact)

    got = wandb.use_artifact(f"{artifact_name}:latest")
    assert sorted(got.manifest.contents) == [
        "distributed_table.partitioned-table.json", *(f"parts/table_{i}.table.json" for i in range(5)),
    ]
    assert got.get(table_name) == wandb.data_types.PartitionedTable("parts")
    assert got.get("parts/table_4").data == [[4, 8, 16]]


# -- seed 001 ----------------------------------------------------------------------------------


def test_simple_mode(files: Callable[..., None]) -> None:
    files("image1.png")
    with wandb.init() as run:
        artifact = wandb.Artifact("artifact_name", "artifact_type")
        # `.add`, `.add_file`, `.add_dir`, および`.add_reference` を使って
        # アーティファクトにファイルとアセットを追加
        artifact.add_file("image1.png")
        run.log_artifact(artifact)

    assert wandb.Api().artifact("artifact_name:v0").logged_by() == run


def test_save_without_a_run(files: Callable[..., None]) -> None:
    files("image1.png")
    artifact = wandb.Artifact("artifact_name", "artifact_type")
    # `.add`, `.add_file`, `.add_dir`, そして `.add_reference` を使って
    # アーティファクトにファイルやアセットを追加する
    artifact.add_file("image1.png")
    artifact.save()

    assert artifact.version == "v0" and wandb.run is None


def test_collaborative_mode(files: Callable[..., None]) -> None:
    files("image1.png", "image2.png", "image3.png")
    # Run 1:
    with wandb.init() as run:
        artifact = wandb.Artifact("artifact_name", "artifact_type")
        # アーティファクトにファイルやアセットを追加する方法は
        # `.add`, `.add_file`, `.add_dir`, そして `.add_reference` を使います
        artifact.add_file("image1.png")
        run.upsert_artifact(artifact, distributed_id="my_dist_artifact")

    # Run 2:
    with wandb.init() as run:
        artifact = wandb.Artifact("artifact_name", "artifact_type")
        # アーティファクトにファイルやアセットを追加するには、
        # `.add`、`.add_file`、`.add_dir`、`.add_reference`を使用します
        artifact.add_file("image2.png")
        run.upsert_artifact(artifact, distributed_id="my_dist_artifact")

    # Run 3
    with wandb.init() as run:
        artifact = wandb.Artifact("artifact_name", "artifact_type")
        # アーティファクトにファイルやアセットを追加する
        # `.add`, `.add_file`, `.add_dir`, および `.add_reference`
        artifact.add_file("image3.png")
        run.finish_artifact(artifact, distributed_id="my_dist_artifact")

    got = wandb.Api().artifact("artifact_name:latest")
    assert sorted(got.manifest.contents) == ["image1.png", "image2.png", "image3.png"]
    assert len({r.id for r in wandb.Api().runs()}) == 3
