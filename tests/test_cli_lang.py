"""The language of `mtqg`'s messages: `mtqg --lang`, else the locale, else English."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_helpers import no_locale  # noqa: F401 - an autouse fixture, used by being imported
from cli_helpers import run_mtqg as _mtqg
from helpers.cli import build_parser, main
from helpers.core.errors import InputError, InputProblem, Number, message, parameter_error
from helpers.core.text import message_lang


# ---------------------------------------------------------------- the one decision
@pytest.mark.parametrize(
    ("explicit", "environ", "lang"),
    [
        (None, {}, "en"),
        (None, {"LANG": "vi_VN.UTF-8"}, "vi"),
        (None, {"LANG": "vi"}, "vi"),
        (None, {"LANG": "en_US.UTF-8"}, "en"),
        (None, {"LANG": "C"}, "en"),
        (None, {"LANG": "C.UTF-8"}, "en"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),
        (None, {"LC_MESSAGES": "vi_VN.UTF-8", "LANG": "en_US.UTF-8"}, "vi"),
        (None, {"LC_ALL": "C", "LC_MESSAGES": "vi_VN", "LANG": "vi_VN"}, "en"),
        (None, {"LC_ALL": "vi_VN.UTF-8", "LANG": "C"}, "vi"),
        (None, {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "vi_VN.UTF-8"}, "vi"),
        ("en", {"LANG": "vi_VN.UTF-8"}, "en"),
        ("vi", {"LC_ALL": "C"}, "vi"),
    ],
)
def test_message_lang(explicit, environ, lang) -> None:
    assert message_lang(explicit, environ) == lang


def test_message_lang_reads_the_process_environment(monkeypatch) -> None:
    assert message_lang() == "en"
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert message_lang() == "vi"


def test_global_lang_is_apart_from_the_briefs_lang_of_run() -> None:
    args = build_parser().parse_args(["--lang", "vi", "run", "--lang", "en"])
    assert (args.message_lang, args.lang) == ("vi", "en")
    args = build_parser().parse_args(["run", "--lang", "vi"])
    assert (args.message_lang, args.lang) == (None, "vi")


# ---------------------------------------------------------------- problems in a language
def test_a_problem_is_english_as_str_and_vietnamese_on_request() -> None:
    p = InputProblem.of(
        message("intake.cell.too_long", n=Number(12345)),
        expected=message("intake.expected.at_most_chars", n=Number(2000)),
        file="allocations.csv",
        row=7,
        column="note",
        value="x" * 3,
    )
    assert str(p) == (
        "allocations.csv, row 7, column 'note': text too long (12,345 characters) "
        "(value: 'xxx'); expected at most 2,000 characters"
    )
    assert p.message == "text too long (12,345 characters)"
    assert p.text("vi") == (
        "allocations.csv, dòng 7, cột 'note': văn bản quá dài (12.345 ký tự) "
        "(giá trị: 'xxx'); cần: tối đa 2.000 ký tự"
    )
    err = InputError([p, p])
    assert err.summary().startswith("2 problems in the input:\n  - allocations.csv, row 7")
    assert err.summary("vi").startswith("2 vấn đề trong dữ liệu đầu vào:\n  - allocations.csv")
    plain = InputProblem("something odd", file="a.csv")  # plain words: shown as given
    assert plain.text("vi") == "a.csv: something odd"


def test_parameter_error_words_itself_in_either_language() -> None:
    exc = parameter_error("intake.data.missing", data="'nope'")
    assert str(exc).startswith("data: 'nope' does not exist; expected 'demo'")
    assert exc.text("vi").startswith("data: 'nope' không tồn tại; cần 'demo'")


# ---------------------------------------------------------------- mtqg validate
@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    """The demo folder with a negative amount, a word for an amount and a VND-sized amount."""
    folder = tmp_path_factory.mktemp("broken")
    assert main(["demo", "--out", str(folder)]) == 0
    path = folder / "allocations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    amount = lines[0].split(",").index("amount_mvnd")
    for line, value in ((3, "-5"), (5, "abc"), (6, "1234567890123")):
        row = lines[line].split(",")
        row[amount] = value
        lines[line] = ",".join(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


VI_PHRASES = (
    "3 vấn đề trong dữ liệu đầu vào:",
    "allocations.csv, dòng 4, cột 'amount_mvnd': số tiền âm (giá trị: '-5'); "
    "cần: một số tiền ≥ 0 (triệu đồng)",
    "allocations.csv, dòng 6, cột 'amount_mvnd': không phải là số (giá trị: 'abc')",
    "cần: một số tiền theo triệu đồng, tối đa 1.000.000.000",  # Vietnamese grouping
)
EN_PHRASES = (
    "3 problems in the input:",
    "allocations.csv, row 4, column 'amount_mvnd': negative amount (value: '-5'); "
    "expected an amount ≥ 0 (million VND)",
    "allocations.csv, row 6, column 'amount_mvnd': not a number (value: 'abc')",
    "expected an amount in million VND (triệu đồng) up to 1,000,000,000",
)


@pytest.mark.parametrize(
    ("args", "env", "phrases"),
    [
        ((), {"LANG": "vi_VN.UTF-8"}, VI_PHRASES),
        (("--lang", "vi"), {"LANG": "C"}, VI_PHRASES),
        (("--lang=vi",), {}, VI_PHRASES),
        ((), {"LANG": "C"}, EN_PHRASES),
        ((), {}, EN_PHRASES),
        (("--lang", "en"), {"LANG": "vi_VN.UTF-8"}, EN_PHRASES),
        ((), {"LC_ALL": "C.UTF-8", "LANG": "vi_VN.UTF-8"}, EN_PHRASES),
    ],
    ids=["LANG=vi", "--lang vi", "--lang=vi", "LANG=C", "no locale", "--lang en", "LC_ALL=C"],
)
def test_validate_a_broken_folder_in_the_users_language(broken, args, env, phrases) -> None:
    res = _mtqg(*args, "validate", str(broken), **env)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    for phrase in phrases:
        assert phrase in res.stderr, res.stderr
    other = EN_PHRASES if phrases is VI_PHRASES else VI_PHRASES
    assert not any(phrase in res.stderr for phrase in other)


def test_validate_the_demo_in_vietnamese(capsys, monkeypatch) -> None:
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert main(["validate", "demo"]) == 0
    out = capsys.readouterr().out
    assert "Bộ dữ liệu hợp lệ: demo" in out
    assert "Tổng theo năm kế hoạch (triệu đồng; giải ngân tính đến báo cáo cuối cùng," in out
    assert "5.801.640" in out  # the 2024 plan, Vietnamese grouping
    assert "Phân bổ theo loại vốn và nguồn vốn (triệu đồng):" in out
    assert "khớp" in out and "equal" not in out
    assert main(["--lang", "en", "validate", "demo"]) == 0
    out = capsys.readouterr().out
    assert "Valid dataset: demo" in out and "5,801,640" in out


def test_errors_of_mtqg_itself_in_vietnamese(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    assert main(["validate", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "mtqg: lỗi: data:" in err and "không tồn tại" in err
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: mtqg") and "mtqg: lỗi: argument command" in err
    (tmp_path / "allocations.csv").write_text("mine\n")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "allocations.csv đã tồn tại; chưa ghi gì cả" in err and "--force" in err
    assert main(["--lang", "en", "frobnicate"]) == 2
    assert "mtqg: error: argument command" in capsys.readouterr().err


def test_demo_confirmation_in_vietnamese(tmp_path, capsys) -> None:
    assert main(["--lang", "vi", "demo", "--out", str(tmp_path / "d"), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Đã ghi bộ dữ liệu DEMO (tổng hợp, seed 3) vào ")
