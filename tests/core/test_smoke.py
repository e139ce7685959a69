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
