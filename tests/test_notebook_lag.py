"""The disbursement-lag notebook runs with papermill and writes a lag.json the brief can read."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from notebook_run import run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_disbursement_lag.ipynb"
PARAMETERS = {"data", "scope", "counterfactual_date", "lang", "out_dir"}
FIGURES = {"profiles.png", "time_to_share.png", "share_vs_months.png", "counterfactual.png"}

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notebook_lag")]


def _run(tmp_path: Path, **params) -> tuple[dict, Path]:
    return run_notebook(NOTEBOOK, tmp_path, "lag.json", **params)


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _check_interval(obj: dict, *keys: str) -> None:
    est, lo, hi = (obj[k] for k in keys)
    assert all(_number(v) for v in (est, lo, hi)), obj
    assert lo <= est <= hi, obj


def _check_contract(out: dict) -> None:
    for key in (
        "scope",
        "demo",
        "n_lines",
        "timing_effect_pp_per_month",
        "months_to_50pct",
        "months_to_90pct",
        "counterfactual",
        "caveats",
        "n_per_model",
        "fit_seconds",
        "ph_check",
    ):
        assert key in out, key
    assert isinstance(out["scope"], str)
    assert out["demo"] is True
    assert isinstance(out["n_lines"], int) and out["n_lines"] > 0
    timing = out["timing_effect_pp_per_month"]
    _check_interval(timing, "estimate", "ci_low", "ci_high")
    assert timing["estimate"] < 0  # the demo's late allocation hurts
    for key in ("months_to_50pct", "months_to_90pct"):
        assert out[key] is None or (_number(out[key]) and out[key] > 0), key
    assert _number(out["months_to_50pct"])
    cf = out["counterfactual"]
    assert cf["date"] == "01-31"
    _check_interval(cf, "gain_mvnd", "ci_low", "ci_high")
    assert cf["gain_mvnd"] > 0
    assert all({"id", "en", "vi"} <= set(c) for c in out["caveats"])
    assert isinstance(out["ph_check"]["50pct"]["verdict_en"], str)


def test_notebook_parameters_are_the_documented_ones():
    params = pm.inspect_notebook(str(NOTEBOOK))
    assert set(params) == PARAMETERS
    assert all(p["help"] for p in params.values())


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_province_run_writes_lag_json_and_figures(tmp_path):
    out, out_dir = _run(tmp_path, scope="province")
    _check_contract(out)
    assert out["scope_level"] == "province"
    assert out["n_lines"] == out["n_per_model"]["year_end_lines_fitted"]
    assert FIGURES <= {p.name for p in out_dir.glob("*.png")}
    assert set(out["figures"]) == FIGURES
    # the model groups lines by unit (districts and the province level): counted as units
    units = out["year_end_model"]["n_units"]
    assert "n_districts" not in out["year_end_model"]
    caveats = {c["id"]: c for c in out["caveats"]}
    assert f"{units} units with plan lines" in caveats["sample"]["en"]
    assert f"với chỉ {units} đơn vị" in caveats["mixedlm"]["vi"]
    for c in out["caveats"]:
        for lang in ("en", "vi"):
            assert not re.search(r"\d[ \u202f]%", c[lang]), c[lang]


def test_district_run_uses_its_own_lines_and_the_province_model(tmp_path):
    out, out_dir = _run(tmp_path, scope="043", lang="en")
    _check_contract(out)
    assert out["scope"] == "043" and out["scope_level"] == "district"
    assert out["n_lines"] < out["n_per_model"]["year_end_lines_fitted"]
    _check_interval(out["timing_effect_pp_per_month"]["province"], "estimate", "ci_low", "ci_high")
    assert FIGURES <= {p.name for p in out_dir.glob("*.png")}


def test_bad_parameter_fails_in_the_first_cell_naming_the_allowed_values(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        _run(tmp_path, lang="fr")
    assert "vi" in err.value.evalue and "en" in err.value.evalue
    nb = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [
        i
        for i, c in enumerate(code)
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    # parameters, injected parameters, then the checking cell
    assert failed == [2]
