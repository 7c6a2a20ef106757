"""The outlook notebook runs with papermill and writes an outlook.json the brief can read."""

from __future__ import annotations

from pathlib import Path

import papermill as pm
import pytest

from helpers.core.contracts import Outlook
from notebook_run import run_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_outlook.ipynb"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notebook_outlook")]


def _run(tmp_path: Path, **params) -> tuple[dict, Path]:
    return run_notebook(NOTEBOOK, tmp_path, "outlook.json", **params)


def test_province_outlook_notebook(tmp_path):
    out, folder = _run(tmp_path, scope="province", lang="en")
    parsed = Outlook.parse(out)
    assert parsed.demo and parsed.evidence == "ok" and parsed.plan_basis == "assumption"
    assert parsed.flags["plan_assumed"]
    assert parsed.parameters["scenarios"] == "observed,01-31,feasible"
    assert set(parsed.figures) == {"outlook_fan.png", "outlook_indicators.png"}
    for name in parsed.figures:
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
    cells = [c for c in parsed.cells if c.status == "projected"]
    assert len(cells) == 5 * 3 * 3  # years x scenarios x (two capital types + both)
    for c in cells:
        for b in (c.disbursed_dec31, c.disbursed_deadline, c.carried_over, c.at_risk_of_lapse):
            assert b is not None and b.low <= b.mean <= b.high
        # by 31 December <= by the deadline <= planned; carried over = planned - deadline
        assert c.disbursed_dec31.mean <= c.disbursed_deadline.mean <= c.allocated_mvnd
        assert c.carried_over.mean == pytest.approx(c.allocated_mvnd - c.disbursed_deadline.mean)
        assert 0 <= c.at_risk_of_lapse.mean <= c.carried_over.mean
    gains = {t.scenario: t.gain_vs_observed_deadline for t in parsed.totals}
    assert gains["observed"] is None and gains["01-31"].low > 0


def test_new_unit_outlook_notebook_says_the_evidence_is_thin(tmp_path):
    out, folder = _run(tmp_path, scope="N01273", lang="vi", scenarios="observed,prev-11-30")
    parsed = Outlook.parse(out)
    assert parsed.scope == "N01273" and parsed.level == "commune"
    assert parsed.evidence == "thin" and parsed.n_lines_history < parsed.min_lines
    assert {c.status for c in parsed.cells} == {"thin_evidence"}
    assert parsed.figures == [] and not list(folder.glob("*.png"))
    assert parsed.indicators == []


def test_bad_parameters_stop_the_first_cell(tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="scenarios"):
        _run(tmp_path, scenarios="soon")
    with pytest.raises(pm.PapermillExecutionError, match="plan"):
        _run(tmp_path, plan="maybe")
