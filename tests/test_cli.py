"""The `mtqg` command as a user runs it: exit codes, summaries, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import main
from helpers.data import reference


def _mtqg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(autouse=True)
def _english_messages(monkeypatch):
    """These tests read mtqg's English messages, whatever the locale of the machine."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_demo_then_validate_prints_the_public_totals(demo_dir):
    res = _mtqg("validate", str(demo_dir))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "DEMO" in out
    fig = reference.public_figure_values("04")
    # every public figure is printed beside an equal dataset total
    for figure_id in (
        "central_capital_2021_2025",
        "central_investment_2021_2025",
        "central_recurrent_2021_2025",
        "local_counterpart_2021_2025",
        "plan_2024_all_sources",
        "disbursed_2024_as_of_2024_05_21",
    ):
        line = next(ln for ln in out.splitlines() if figure_id in ln)
        assert line.rstrip().endswith("equal"), line
        assert f"{fig[figure_id]:,.0f}" in line
    assert "5,801,640" in out  # 2,679,114 + 3,122,526
    for year in (2022, 2023, 2024, 2025):
        assert f"  {year} " in out


def test_validate_a_broken_folder_exits_2_with_one_line_per_problem(demo_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in demo_dir.glob("*.csv"):
        (broken / f.name).write_bytes(f.read_bytes())
    lines = (broken / "allocations.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    amount = header.index("amount_mvnd")
    row = lines[3].split(",")
    row[amount] = "-5"
    lines[3] = ",".join(row)
    row = lines[5].split(",")
    row[amount] = "abc"
    lines[5] = ",".join(row)
    (broken / "allocations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = _mtqg("validate", str(broken))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    problems = [ln for ln in res.stderr.splitlines() if ln.startswith("  - ")]
    # line 4 of the file is data row 3 (header on line 1); line 6 is the "abc"
    assert any("row 4" in p and "amount_mvnd" in p and "'-5'" in p for p in problems), problems
    assert any("row 6" in p and "amount_mvnd" in p and "'abc'" in p for p in problems), problems


def test_validate_missing_path_exits_2(tmp_path):
    res = _mtqg("validate", str(tmp_path / "nope"))
    assert res.returncode == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_unknown_subcommand_exits_2():
    res = _mtqg("frobnicate")
    assert res.returncode == 2


def test_template_writes_a_workbook(tmp_path):
    out = tmp_path / "intake.xlsx"
    assert main(["template", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["template", str(tmp_path / "intake.csv")]) == 2


def test_console_script_is_installed():
    exe = Path(sys.executable).with_name("mtqg")
    res = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "validate" in res.stdout


def test_preloaded_dataset_is_returned_as_a_copy_without_validating_again(monkeypatch):
    from helpers.data import datasets, intake

    ds = datasets.open_dataset("demo:5")
    try:
        datasets.preload("demo:5", ds)

        def boom(*args, **kwargs):
            raise AssertionError("validated again")

        monkeypatch.setattr(intake, "validate_frames", boom)
        again = datasets.open_dataset("DEMO:5")
        assert again is not ds and again.sha256 == ds.sha256
        again.allocations.loc[0, "amount_mvnd"] = -1.0  # a copy: the preloaded one is intact
        assert ds.allocations.loc[0, "amount_mvnd"] >= 0
        with __import__("pytest").raises(AssertionError, match="validated again"):
            datasets.open_dataset("demo:6")  # another argument is opened (validated) as usual
    finally:
        datasets._PRELOADED.pop(datasets.data_key("demo:5"), None)


# ---------------------------------------------------------------- files users lose, friction
def test_template_refuses_to_overwrite_a_workbook_without_force(tmp_path, capsys):
    book = tmp_path / "intake.xlsx"
    book.write_bytes(b"the user's filled workbook")
    assert main(["template", str(book)]) == 2
    assert "exists" in capsys.readouterr().err and "--force" not in ""
    assert book.read_bytes() == b"the user's filled workbook"  # untouched
    assert main(["template", str(book), "--force"]) == 0
    assert book.read_bytes().startswith(b"PK")  # now an .xlsx (a zip)


def test_demo_refuses_to_overwrite_csv_files_without_force(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "allocations.csv").write_text("the user's own lines\n")
    assert main(["demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "allocations.csv" in err and "--force" in err
    assert (out / "allocations.csv").read_text() == "the user's own lines\n"
    assert not (out / "disbursements.csv").exists()  # nothing written at all
    assert main(["demo", "--out", str(out), "--force"]) == 0
    assert (out / "allocations.csv").read_text().startswith("plan_year")


class _ClosedPipe:
    """A standard output whose reader has gone away (``mtqg validate … | head``)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        return sys.__stdout__.fileno()


def test_validate_into_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    code = main(["validate", "demo"])  # raised BrokenPipeError with a traceback before
    assert code == 141  # 128 + SIGPIPE, as shell tools report a closed pipe
    assert "Traceback" not in capsys.readouterr().err
