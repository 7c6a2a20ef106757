"""The assessment notebook: parameters, and papermill runs on the demo data (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest

from helpers.core.errors import ParameterError
from helpers.core.paths import REPO_ROOT, resolve_out_dir
from helpers.data import reference
from helpers.steps import assessment

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_assessment.ipynb"
CONTRACT_KEYS = {
    "scope",
    "demo",
    "allocated_mvnd",
    "disbursed_mvnd",
    "by_year",
    "by_capital_type",
    "by_source",
    "pefa_aggregate_grade",
    "pefa_composition_grade",
    "targets_met",
    "targets_total",
}
YEAR_KEYS = {
    "plan_year",
    "allocated_mvnd",
    "disbursed_dec31_mvnd",
    "disbursed_deadline_mvnd",
    "disbursed_last_mvnd",
}
FIGURES = {
    "allocation_vs_disbursement.png",
    "execution_by_project.png",
    "monthly_profile.png",
    "district_ranking.png",
    "target_scorecard.png",
}


# --------------------------------------------------------------------------- fast
def test_parameters_cell_is_what_papermill_sees():
    params = pm.inspect_notebook(str(NOTEBOOK))
    assert list(params) == ["data", "scope", "years", "lang", "out_dir", "apportion"]
    assert params["apportion"]["default"] == '"none"'
    assert all(p["inferred_type_name"] == "str" and p["help"] for p in params.values())
    assert params["scope"]["default"] == '"province"'


@pytest.mark.parametrize(
    ("given", "years"),
    [
        ("2021-2025", [2021, 2022, 2023, 2024, 2025]),
        ("2022–2023", [2022, 2023]),
        ("2024, 2022", [2022, 2024]),
        (2024, [2024]),
        ([2025, 2023], [2023, 2025]),
    ],
)
def test_parse_years(given, years):
    assert assessment.parse_years(given) == years


@pytest.mark.parametrize("bad", ["2025-2021", "twenty", "2019-2021", "", [], True, "2021-"])
def test_bad_years_name_the_allowed_forms(bad):
    with pytest.raises(ParameterError, match="YYYY-YYYY"):
        assessment.parse_years(bad)


def test_bad_lang_names_the_allowed_values():
    with pytest.raises(ParameterError, match="vi, en"):
        assessment.check_lang("fr")


def test_out_dir_template_and_repo_relative(tmp_path):
    assert resolve_out_dir("outputs/{scope}/assessment", "051", assessment.DEFAULT_OUT_DIR) == (
        REPO_ROOT / "outputs" / "051" / "assessment"
    )
    assert resolve_out_dir(str(tmp_path / "{scope}"), "province", assessment.DEFAULT_OUT_DIR) == (
        tmp_path / "province"
    )
    with pytest.raises(ParameterError, match="out_dir"):
        resolve_out_dir(" ", "province", assessment.DEFAULT_OUT_DIR)


def test_scope_accepts_a_code_that_lost_its_zero_and_names(tmp_path):
    for given in (51, "huyện Hoà An"):  # a code that lost its zero (papermill -p), a name
        run = assessment.check_parameters("demo", given, "2024", "en", tmp_path / "{scope}")
        assert run.scope.code == "051"
        assert run.out_dir == tmp_path / "051"
        # the district's own lines and those booked to its former communes (parent 051)
        parent = run.dataset.units.set_index("unit_code")["parent_code"]
        units = set(run.lines["unit_code"])
        assert "051" in units and {parent[u] for u in units - {"051"}} == {"051"}
        assert set(run.lines["plan_year"]) == {2024}


def test_bad_scope_names_the_allowed_values(tmp_path):
    with pytest.raises(ParameterError, match=r"Allowed: province, 040 \(Thành phố Cao Bằng\)"):
        assessment.check_parameters("demo", "Atlantis", "2021-2025", "vi", tmp_path)


# --------------------------------------------------------------------------- slow
def _execute(tmp_path: Path, **parameters) -> Path:
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    return out


@pytest.fixture(scope="module")
def province_run(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("province")
    _execute(tmp, scope="province", out_dir=str(tmp / "{scope}"))
    out = tmp / "province"
    return {
        "metrics": json.loads((out / "metrics.json").read_text(encoding="utf-8")),
        "files": {p.name for p in out.iterdir()},
    }


@pytest.mark.slow
def test_province_metrics_reproduce_the_public_totals(province_run):
    m = province_run["metrics"]
    public = reference.public_figure_values(m["unit_code"])
    by_type = m["by_capital_type"]
    investment = by_type["investment"]["by_source"]["central"]["allocated_mvnd"]
    recurrent = by_type["recurrent"]["by_source"]["central"]["allocated_mvnd"]
    assert investment == public["central_investment_2021_2025"]  # 2,679,114
    assert recurrent == public["central_recurrent_2021_2025"]  # 3,122,526
    assert investment + recurrent == public["central_capital_2021_2025"]  # 5,801,640
    assert m["by_source"]["central"]["allocated_mvnd"] == public["central_capital_2021_2025"]
    assert m["by_source"]["local"]["allocated_mvnd"] == public["local_counterpart_2021_2025"]
    # the demo also has policy credit and other mobilised capital (DEMO, national ratios)
    assert m["allocated_mvnd"] == pytest.approx(
        sum(v["allocated_mvnd"] for v in m["by_source"].values())
    )
    assert (
        m["by_source"]["credit"]["allocated_mvnd"] > 0 < m["by_source"]["other"]["allocated_mvnd"]
    )
    year_2024 = next(y for y in m["by_year"] if y["plan_year"] == 2024)
    assert year_2024["allocated_mvnd"] == public["plan_2024_all_sources"]


@pytest.mark.slow
def test_province_metrics_keys_and_demo(province_run):
    m = province_run["metrics"]
    assert CONTRACT_KEYS <= set(m)
    assert m["demo"] is True and m["scope"] == "province"
    assert [y["plan_year"] for y in m["by_year"]] == [2021, 2022, 2023, 2024, 2025]
    assert all(YEAR_KEYS <= set(y) for y in m["by_year"])
    assert m["by_year"][0]["status"] == "no_allocation"  # no 2021 vintage
    assert set(m["by_capital_type"]) == {"investment", "recurrent"}
    for v in (*m["by_capital_type"].values(), *m["by_source"].values()):
        assert {"allocated_mvnd", "disbursed_mvnd"} <= set(v)
    assert m["pefa_aggregate_grade"] in {"A", "B", "C", "D"}
    assert m["pefa_composition_grade"] in {"A", "B", "C", "D"}
    assert 0 <= m["targets_met"] <= m["targets_total"]
    # disbursed never decreases across cut-offs
    for y in m["by_year"]:
        assert (
            y["disbursed_dec31_mvnd"]
            <= y["disbursed_deadline_mvnd"]
            <= (y["disbursed_last_mvnd"] + 1e-6)
        )
    assert FIGURES | {"metrics.json"} <= province_run["files"]


@pytest.mark.slow
def test_district_run(tmp_path):
    _execute(tmp_path, scope="051", lang="en", out_dir=str(tmp_path / "{scope}"))
    m = json.loads((tmp_path / "051" / "metrics.json").read_text(encoding="utf-8"))
    assert m["scope"] == "051" and m["unit_code"] == "051" and m["demo"] is True
    assert m["scope_name_en"] == "Hoa An" and m["lang"] == "en"
    assert CONTRACT_KEYS <= set(m)
    assert 1 <= m["district_rank"] <= m["districts_ranked"]
    assert FIGURES <= {p.name for p in (tmp_path / "051").iterdir()}


@pytest.mark.slow
def test_bad_scope_fails_in_the_first_cell_naming_allowed_values(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        _execute(tmp_path, scope="Atlantis", out_dir=str(tmp_path / "{scope}"))
    assert err.value.ename == "ParameterError"
    assert "Allowed: province, 040" in err.value.evalue
    assert "051 (Hòa An)" in err.value.evalue
    # the failing cell is the first one after the parameters cell and papermill's injected one
    assert err.value.exec_count == 3
    assert "assessment.check_parameters(" in err.value.source
    assert not (tmp_path / "Atlantis").exists()


def test_run_assessment_on_a_csv_folder(tmp_path, valid_tables, write_folder):
    folder = write_folder(tmp_path / "input", valid_tables)
    m = assessment.run_assessment(
        str(folder), "province", "2021-2025", "en", str(tmp_path / "out" / "{scope}")
    )
    out = tmp_path / "out" / "province"
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8")) == m
    # the fixture has no indicator targets: no scorecard chart is drawn, nor listed
    assert m["targets_total"] == 0 and "target_scorecard.png" not in m["figures"]
    assert FIGURES - {"target_scorecard.png"} <= {p.name for p in out.iterdir()}
    assert not (out / "target_scorecard.png").exists()
    # the fixture: 1000 (district 011) + 1,526,790.5 (district 012) in 2024, not demo
    assert m["demo"] is False and m["scope"] == "province" and m["unit_code"] == "010"
    assert m["allocated_mvnd"] == 1000 + 1_526_790.5
    # last report 31 Jan 2025: 250 (011, 30 Apr 2024) + 2000 (012, 31 Jan 2025)
    assert m["disbursed_mvnd"] == 250 + 2000
    assert m["targets_total"] == 0  # the fixture's only target belongs to district 011
