"""The batch runner's planning, fingerprint and skip logic (helpers.run), without kernels.

Expected values are worked out by hand from the step table (:func:`default_steps`): every
step gets ``data``, ``scope``, ``lang`` and ``out_dir``; the lag step runs after the province's
lag step (order-only); a brief reads its scope's assessment and lag and the province assessment.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from filelock import FileLock

from helpers import cli
from helpers.core.errors import ParameterError
from helpers.run import batch
from helpers.run.fingerprint import (
    FINGERPRINT_VERSION,
    compute_fingerprint,
    file_record,
    normalised_parameters,
    outputs_digest,
    sha256_file,
    stale_reason,
)
from helpers.run.manifest import (
    MANIFEST_FORMAT,
    LastRun,
    LastSuccess,
    Manifest,
    OutputRecord,
    StepRecord,
)
from helpers.run.options import STATE_DIR
from helpers.run.plan import Node, assign_priorities, build_plan, toposort
from helpers.run.steps import ScopeInfo, StepSpec, Upstream, default_steps

PROVINCE = ScopeInfo(
    code="62", name_vi="Kon Tum", name_en="Kon Tum", level="province", slug="province"
)
D042 = ScopeInfo(code="042", name_vi="Bảo Lâm", name_en="Bao Lam", level="district", slug="042")
D043 = ScopeInfo(code="043", name_vi="Bảo Lạc", name_en="Bao Lac", level="district", slug="043")
OUT = Path("/runs/out")
COMMON = ["data", "lang", "out_dir", "scope"]
DECLARED = {
    "assessment": {"parameters": COMMON},
    "lag": {"parameters": COMMON},
    "outlook": {"parameters": COMMON},
    "brief": {
        "parameters": [
            *COMMON,
            "assessment_dir",
            "lag_dir",
            "province_assessment_dir",
            "outlook_dir",
        ]
    },
}


def plan(scopes, langs=("vi",), *, steps=None, declared=DECLARED, out=OUT, data="demo"):
    steps = default_steps(Path("/nb"), formats=False) if steps is None else steps
    return build_plan(steps, scopes, PROVINCE, langs, data, out, declared)


def by_id(nodes: list[Node]) -> dict[str, Node]:
    return {n.id: n for n in nodes}


def deps_of(node: Node) -> list[tuple[str, bool]]:
    return [(d.id, up.reads) for d, up in node.deps]


# ---------------------------------------------------------------------------------- plan


def test_a_district_run_pulls_in_the_province_assessment_only():
    nodes = plan([D042], langs=("en",))
    # plan order, dependencies first: the brief pulls in the province assessment; the
    # province lag is not pulled in by the order-only edge of the district's lag step
    assert [n.id for n in nodes] == [
        "042/assessment",
        "042/lag",
        "province/assessment",
        "042/outlook",
        "042/brief.en",
    ]
    nodes = by_id(nodes)
    assert nodes["042/assessment"].selected and nodes["042/brief.en"].selected
    assert not nodes["province/assessment"].selected
    assert deps_of(nodes["042/lag"]) == []
    assert deps_of(nodes["042/brief.en"]) == [
        ("042/assessment", True),
        ("042/lag", True),
        ("province/assessment", True),
        ("042/outlook", True),
    ]
    # the outlook reads its scope's lag results (the province's lag step is not pulled in)
    assert deps_of(nodes["042/outlook"]) == [("042/lag", True)]
    assert nodes["042/brief.en"].params == {
        "data": "demo",
        "scope": "042",
        "lang": "en",
        "out_dir": "/runs/out/042/brief",
        "assessment_dir": "/runs/out/042/assessment",
        "lag_dir": "/runs/out/042/lag",
        "province_assessment_dir": "/runs/out/province/assessment",
        "outlook_dir": "/runs/out/042/outlook",
    }
    # the analysis steps run once per scope, in Vietnamese
    assert nodes["042/assessment"].params["lang"] == "vi"
    assert nodes["042/brief.en"].executed_name == "03_brief.en.ipynb"
    assert nodes["042/lag"].executed_name == "02_disbursement_lag.ipynb"


def test_order_only_edges_order_two_planned_steps_and_toposort_keeps_plan_order():
    nodes = plan([PROVINCE, D042])
    # created: province assessment, lag, brief.vi, then 042's; the district lag step waits
    # for the province lag step (order-only), so it moves after the province brief
    assert [n.id for n in nodes] == [
        "province/assessment",
        "province/lag",
        "042/assessment",
        "province/outlook",
        "042/lag",
        "province/brief.vi",
        "042/outlook",
        "042/brief.vi",
    ]
    nodes = by_id(nodes)
    assert deps_of(nodes["042/lag"]) == [("province/lag", False)]
    assert deps_of(nodes["province/lag"]) == []  # its own edge points at itself
    assert [d.id for d in nodes["province/lag"].dependents] == [
        "province/outlook",
        "province/brief.vi",
        "042/lag",
        "042/outlook",
    ]
    assert deps_of(nodes["042/outlook"]) == [("042/lag", True), ("province/lag", False)]
    # the province brief's ranking input is its own assessment
    assert deps_of(nodes["province/brief.vi"]) == [
        ("province/assessment", True),
        ("province/lag", True),
        ("province/outlook", True),
    ]
    assert nodes["province/brief.vi"].params["province_assessment_dir"] == (
        "/runs/out/province/assessment"
    )
    assert nodes["province/brief.vi"].params["scope"] == "province"


def test_an_optional_parameter_is_dropped_when_the_notebook_does_not_declare_it():
    declared = {**DECLARED, "brief": {"parameters": [*COMMON, "assessment_dir", "lag_dir"]}}
    brief = by_id(plan([D042], declared=declared))["042/brief.vi"]
    assert "province_assessment_dir" not in brief.params
    assert brief.params["assessment_dir"] == "/runs/out/042/assessment"


def test_an_undeclared_parameter_is_refused():
    declared = {**DECLARED, "brief": {"parameters": [*COMMON, "assessment_dir"]}}
    with pytest.raises(ParameterError, match=r"does not declare the parameter\(s\) lag_dir"):
        plan([D042], declared=declared)


def _step(name: str, *upstream: Upstream) -> StepSpec:
    return StepSpec(
        name, Path(f"/nb/{name}.ipynb"), lambda c: {"out_dir": str(c.out_dir)}, upstream=upstream
    )


def test_a_cycle_and_an_unknown_upstream_step_are_refused():
    declared = {"a": {"parameters": ["out_dir"]}, "b": {"parameters": ["out_dir"]}}
    steps = (_step("a", Upstream("b")), _step("b", Upstream("a")))
    with pytest.raises(ParameterError, match="in a cycle at 042/"):
        plan([D042], steps=steps, declared=declared)
    with pytest.raises(ParameterError, match="step 'a' needs unknown step 'c'"):
        plan([D042], steps=(_step("a", Upstream("c")),), declared=declared)


def test_toposort_puts_dependencies_first_and_otherwise_keeps_the_given_order():
    a, b, c = (Node(_step(n), D042, "vi", True, OUT / n) for n in "abc")
    c.deps.append((a, Upstream("a")))
    a.deps.append((b, Upstream("b")))
    assert [n.spec.name for n in toposort([c, a, b])] == ["b", "a", "c"]
    assert [n.spec.name for n in toposort([b, c, a])] == ["b", "a", "c"]


def test_priorities_follow_the_critical_path(tmp_path):
    manifest = Manifest(tmp_path / "manifest.json")
    nodes = plan([D042])
    lag = by_id(nodes)["042/lag"]
    record = StepRecord(notebook="nb", executed_notebook="x", lang="vi")
    record.last_run = LastRun(run_id="r", status="ran", seconds=3.0)
    manifest.set_step(D042, "lag", record)
    assign_priorities(nodes, manifest)
    # weights: assessment 8, lag 10 (here its recorded 3 s), outlook 2, brief 6
    assert {n.id: n.priority for n in nodes} == {
        "042/brief.vi": 6.0,
        "042/outlook": 8.0,
        "042/assessment": 14.0,
        "province/assessment": 14.0,
        "042/lag": 11.0,
    }
    assert lag.priority == 11.0


# --------------------------------------------------------------------------- fingerprint


def test_paths_inside_the_output_folder_enter_the_fingerprint_relative():
    params = {"out_dir": "/o/042/brief", "root": "/o", "data": "/o2/data.xlsx", "n": 3}
    assert normalised_parameters(params, Path("/o")) == {
        "out_dir": "<out>/042/brief",
        "root": "<out>/.",
        "data": "/o2/data.xlsx",
        "n": 3,
    }


def test_upstream_outputs_digest_leaves_out_executed_notebooks():
    outputs = {
        "042/assessment/metrics.json": OutputRecord(sha256="aa", size=1, mtime_ns=1),
        "042/assessment/01_assessment.ipynb": OutputRecord(sha256="bb", size=1, mtime_ns=1),
    }
    expected = hashlib.sha256(b'[["042/assessment/metrics.json", "aa"]]').hexdigest()
    assert outputs_digest(outputs) == expected


BASE = {
    "data_sha": "d" * 64,
    "code_hash": "c" * 64,
    "env_hash": "e" * 64,
    "nb_hash": "n" * 64,
}


def _brief(tmp_path, *, out=OUT, data="demo", metrics="m1", notebook="t1", **changes):
    """The 042 English brief, fingerprinted with its upstream steps' outputs set."""
    nodes = by_id(plan([D042], langs=("en",), out=out, data=data))
    nodes["042/assessment"].outputs = {
        "042/assessment/metrics.json": OutputRecord(sha256=metrics, size=2, mtime_ns=1),
        "042/assessment/01_assessment.ipynb": OutputRecord(sha256=notebook, size=2, mtime_ns=1),
    }
    brief = nodes["042/brief.en"]
    compute_fingerprint(
        brief, out_root=out, manifest=Manifest(tmp_path / "none.json"), **{**BASE, **changes}
    )
    return brief


def test_the_fingerprint_is_the_hash_of_the_inputs(tmp_path):
    brief = _brief(tmp_path)
    empty = hashlib.sha256(b"[]").hexdigest()  # a dependency with no recorded outputs
    metrics = hashlib.sha256(b'[["042/assessment/metrics.json", "m1"]]').hexdigest()
    inputs = {
        "runner": FINGERPRINT_VERSION,
        "step": "brief.en",
        "notebook_sha256": "n" * 64,
        "code_sha256": "c" * 64,
        "environment_sha256": "e" * 64,
        "data_sha256": "d" * 64,
        "parameters": {
            "data": "demo",
            "scope": "042",
            "lang": "en",
            "out_dir": "<out>/042/brief",
            "assessment_dir": "<out>/042/assessment",
            "lag_dir": "<out>/042/lag",
            "province_assessment_dir": "<out>/province/assessment",
            "outlook_dir": "<out>/042/outlook",
        },
        "upstream": {
            "042/assessment": metrics,
            "042/lag": empty,
            "province/assessment": empty,
            "042/outlook": empty,
        },
    }
    assert brief.inputs == inputs
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False)
    assert brief.fingerprint == hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("change", "changes"),
    [
        ({"nb_hash": "N" * 64}, True),
        ({"code_hash": "C" * 64}, True),
        ({"env_hash": "E" * 64}, True),
        ({"data_sha": "D" * 64}, True),
        ({"data": "demo:7"}, True),  # a parameter
        ({"metrics": "m2"}, True),  # an upstream output
        ({"notebook": "t2"}, False),  # the upstream's executed notebook (timings)
        ({"out": Path("/elsewhere/out")}, False),  # paths are taken relative to the output
    ],
    ids=["notebook", "code", "environment", "data", "parameter", "upstream", "timings", "out"],
)
def test_what_changes_the_fingerprint(tmp_path, change, changes):
    before = _brief(tmp_path).fingerprint
    assert (_brief(tmp_path, **change).fingerprint != before) is changes


def test_the_data_hash_counts_only_for_steps_given_the_data(tmp_path):
    step = StepSpec("a", Path("/nb/a.ipynb"), lambda c: {"out_dir": str(c.out_dir)})
    declared = {"a": {"parameters": ["out_dir"]}}
    fingerprints = []
    for data_sha in ("1" * 64, "2" * 64):
        (node,) = plan([D042], steps=(step,), declared=declared)
        changes = {**BASE, "data_sha": data_sha}
        compute_fingerprint(
            node, out_root=OUT, manifest=Manifest(tmp_path / "none.json"), **changes
        )
        fingerprints.append(node.fingerprint)
        assert node.inputs["data_sha256"] is None
    assert fingerprints[0] == fingerprints[1]


def test_a_skipped_dependency_contributes_its_last_successful_outputs(tmp_path):
    manifest = Manifest(tmp_path / "manifest.json")
    record = StepRecord(notebook="nb", executed_notebook="x", lang="vi")
    record.last_success = LastSuccess(
        run_id="r",
        fingerprint="f",
        outputs={"042/assessment/metrics.json": OutputRecord(sha256="m1", size=2, mtime_ns=1)},
    )
    manifest.set_step(D042, "assessment", record)
    brief = by_id(plan([D042], langs=("en",)))["042/brief.en"]
    compute_fingerprint(brief, out_root=OUT, manifest=manifest, **BASE)
    assert brief.inputs["upstream"]["042/assessment"] == (
        hashlib.sha256(b'[["042/assessment/metrics.json", "m1"]]').hexdigest()
    )


# -------------------------------------------------------------------------- stale reason


def _success(brief: Node, **fields) -> LastSuccess:
    return LastSuccess(
        run_id="r", fingerprint=brief.fingerprint, inputs=dict(brief.inputs), **fields
    )


def test_stale_reason_words(tmp_path):
    brief = _brief(tmp_path)
    last = _success(brief)
    assert stale_reason(brief, last, OUT, force=True) == "--force"
    assert stale_reason(brief, None, OUT, force=False) == "no earlier successful run"
    assert stale_reason(brief, last, OUT, force=False) is None

    changed = _brief(tmp_path, nb_hash="N" * 64, data_sha="D" * 64, metrics="m2")
    assert stale_reason(changed, last, OUT, force=False) == (
        "notebook changed, data changed, 042/assessment changed"
    )
    for change, words in (
        ({"code_hash": "C" * 64}, "helper code changed"),
        ({"env_hash": "E" * 64}, "package versions changed"),
        ({"data": "demo:7"}, "parameters changed"),
    ):
        assert stale_reason(_brief(tmp_path, **change), last, OUT, force=False) == words
    # a fingerprint of another definition, from the same inputs
    other = last.model_copy(update={"fingerprint": "0" * 64})
    assert stale_reason(brief, other, OUT, force=False) == "inputs changed"


def test_outputs_that_went_missing_or_changed_make_a_step_stale(tmp_path):
    out = tmp_path / "out"
    path = out / "042" / "brief" / "brief.en.html"
    path.parent.mkdir(parents=True)
    path.write_text("<p>1</p>")
    brief = _brief(tmp_path, out=out)
    last = _success(brief, outputs={"042/brief/brief.en.html": file_record(path)})
    assert stale_reason(brief, last, out, force=False) is None

    os.utime(path, ns=(1, 1))  # touched: same content, so still up to date
    assert stale_reason(brief, last, out, force=False) is None
    path.write_text("<p>2</p>")  # same size, other content
    assert stale_reason(brief, last, out, force=False) == "outputs missing or modified"
    path.unlink()
    assert stale_reason(brief, last, out, force=False) == "outputs missing or modified"


def test_file_record_hashes_the_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    rec = file_record(path)
    assert rec.sha256 == sha256_file(path) == hashlib.sha256(b"abc").hexdigest()
    assert rec.size == 3 and rec.mtime_ns == path.stat().st_mtime_ns


# ------------------------------------------------------------------------------ manifest


def test_the_manifest_round_trips_through_its_model_and_keeps_its_layout(tmp_path):
    path = tmp_path / "manifest.json"
    manifest = Manifest(path)
    record = StepRecord(
        notebook="notebooks/01_assessment.ipynb",
        executed_notebook="042/assessment/01_assessment.ipynb",
        lang="vi",
        last_success=None,
        last_run=LastRun(run_id="r", status="ran", seconds=1.5, error=None),
    )
    manifest.set_step(D042, "assessment", record)
    manifest.save()
    data = json.loads(path.read_text())
    assert data["format"] == MANIFEST_FORMAT == "mtqg-batch-manifest/1"
    assert "index" not in data and "run" not in data  # never set, so not written
    step = data["scopes"]["042"]["steps"]["assessment"]
    assert step["last_success"] is None and "skipped" not in step["last_run"]
    assert data["scopes"]["042"]["name_vi"] == "Bảo Lâm"
    again = Manifest(path)
    assert again.to_json() == data
    assert again.step("042", "assessment").last_run.seconds == 1.5
    assert again.last_success("042", "assessment") is None
    assert again.step("043", "assessment") is None


def test_a_manifest_of_another_format_or_shape_is_ignored(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": "something/2", "scopes": {"042": {}}}))
    assert Manifest(path).to_json() == {"format": MANIFEST_FORMAT, "scopes": {}}
    path.write_text(json.dumps({"format": MANIFEST_FORMAT, "scopes": {"042": {"code": 1}}}))
    assert Manifest(path).to_json() == {"format": MANIFEST_FORMAT, "scopes": {}}
    path.write_text("{not json")
    assert Manifest(path).to_json() == {"format": MANIFEST_FORMAT, "scopes": {}}


# ---------------------------------------------------------------------------------- lock


def test_a_second_run_on_the_same_output_folder_is_refused(tmp_path, monkeypatch, capsys):
    fixtures = Path(__file__).parent / "fixtures" / "notebooks"
    steps = (
        StepSpec(
            "assessment",
            fixtures / "ok.ipynb",
            lambda c: {"out_dir": str(c.out_dir), "scope": c.scope, "lang": c.lang},
        ),
    )
    monkeypatch.setattr(batch, "default_steps", lambda: steps)
    out = tmp_path / "out"
    (out / STATE_DIR).mkdir(parents=True)
    with FileLock(out / STATE_DIR / "lock"):
        code = cli.main(["run", "--scope", "042", "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"another mtqg run is writing to {out}" in err
    assert "wait for it to finish or choose another --out" in err
    assert not (out / "manifest.json").exists()


# ---------------------------------------------------------------------------- apportion


def test_the_apportion_key_reaches_the_assessment_only_when_chosen():
    declared = DECLARED | {"assessment": {"parameters": [*COMMON, "apportion"]}}
    steps = default_steps(Path("/nb"), formats=False)
    chosen = by_id(build_plan(steps, [D042], PROVINCE, ("vi",), "demo", OUT, declared,
                              {"apportion": "communes"}))  # fmt: skip
    assert chosen["042/assessment"].params["apportion"] == "communes"
    assert "apportion" not in chosen["042/lag"].params
    assert "apportion" not in chosen["042/brief.vi"].params
    default = by_id(build_plan(steps, [D042], PROVINCE, ("vi",), "demo", OUT, declared))
    assert "apportion" not in default["042/assessment"].params
    # a notebook that does not declare it is run without it (an optional parameter)
    older = by_id(build_plan(steps, [D042], PROVINCE, ("vi",), "demo", OUT, declared | {
        "assessment": {"parameters": COMMON}},
                             {"apportion": "communes"}))  # fmt: skip
    assert "apportion" not in older["042/assessment"].params


def test_a_node_reads_short_whatever_the_dag_behind_it():
    """The dataclass's own repr printed every dependency along every path of the DAG."""
    nodes = by_id(plan([D042, D043], ("vi", "en"), steps=default_steps(Path("/nb"), formats=False)))
    brief = nodes["042/brief.en"]
    assert repr(brief) == "Node('042/brief.en', 'waiting')"
    assert len(repr(list(nodes.values()))) < 100 * len(nodes)
