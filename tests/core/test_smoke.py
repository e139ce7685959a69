from __future__ import annotations

import artiflow


def test_log_relog_change(store, make_tree):
    data = make_tree({"a.txt": "hello\n"})
    with artiflow.init(project="p", store=store) as run:
        a = artiflow.Artifact("d", "dataset")
        a.add_dir(data)
        run.log_artifact(a)
        assert a.name == "d:v0"
        assert a.digest == "df2baf4982f9ccdd99de4a5a8b016e45"


def test_a_store_prints_its_database_without_the_password(store: artiflow.Store) -> None:
    # The quickstart prints the store; a PostgreSQL URL carries a password that must not reach a log.
    url = store.metadata.url
    shown = repr(store)
    assert "Store(database=" in shown and str(store.blobs.url) in shown
    if "@" in url:  # postgresql+psycopg://user:password@host/db
        user, password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)
        assert f"{user}:{password}@" not in shown and f"{user}:***@" in shown
    else:
        assert url in shown
