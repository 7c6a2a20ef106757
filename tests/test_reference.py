"""Shipped reference tables: valid against the schema, every row backed by a source."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from helpers.data import contract, reference

REFERENCE_TABLES = [
    "units",
    "program_components",
    "sources",
    "target_indicators",
    "public_figures",
    "published_figures",
    "national_envelopes",
    "goals_2030",
]


@pytest.mark.parametrize("name", REFERENCE_TABLES)
def test_reference_table_matches_the_schema(name):
    frame = reference.load(name)
    contract.pandera_schema(name, with_derived=False).validate(frame, lazy=True)


@pytest.mark.parametrize("name", [n for n in REFERENCE_TABLES if n != "sources"])
def test_every_reference_row_names_an_existing_source(name):
    frame = reference.load(name)
    known = set(reference.load("sources")["source_id"])
    missing = frame.loc[~frame["source_id"].isin(known), "source_id"]
    assert frame["source_id"].notna().all(), f"{name}: a row has no source_id"
    assert missing.empty, f"{name}: unknown source ids {sorted(set(missing))}"


@pytest.mark.parametrize("name", REFERENCE_TABLES)
def test_reference_text_is_nfc(name):
    frame = reference.load(name)
    for col in frame.select_dtypes(include=["string", "object"]).columns:
        for value in frame[col].dropna():
            assert unicodedata.is_normalized("NFC", str(value)), (name, col, value)


def test_units_have_one_province_and_its_districts():
    units = reference.load("units")
    province = units[units["level"] == "province"]
    assert len(province) == 1
    districts = units[units["level"] == "district"]
    # program.md: 10 district-level units before 1 July 2025, all children of the province
    assert len(districts) == 10
    assert (districts["parent_code"] == province["unit_code"].iloc[0]).all()
    assert (districts["valid_to"] == pd.Timestamp("2025-06-30")).all()


def test_program_structure_has_ten_projects_and_subprojects_belong_to_them():
    comp = reference.load("program_components")
    projects = comp.loc[comp["subproject_code"].isna(), "project_code"]
    assert sorted(projects, key=lambda c: int(c[2:])) == [f"DA{i}" for i in range(1, 11)]
    subs = comp.dropna(subset=["subproject_code"])
    assert (subs["subproject_code"].str.split(".").str[0] == subs["project_code"]).all()


def test_unconfirmed_rows_point_to_unconfirmed_sources():
    sources = reference.load("sources").set_index("source_id")
    assert sources.loc["reference_program_md_unconfirmed", "confidence"] == "unconfirmed"
    assert sources.loc["seed_000", "confidence"] == "confirmed"


def test_public_figures_are_the_seed_reports_numbers():
    fig = reference.public_figure_values("04")
    # seed 000: 5,801,640 = 2,679,114 investment + 3,122,526 recurrent; local 288,839
    assert fig["central_capital_2021_2025"] == 5_801_640
    assert fig["central_investment_2021_2025"] + fig["central_recurrent_2021_2025"] == 5_801_640
    assert fig["local_counterpart_2021_2025"] == 288_839
    # seed 004: 302,049 of 1,526,790 million VND by 21 May 2024
    assert fig["plan_2024_all_sources"] == 1_526_790
    assert fig["disbursed_2024_as_of_2024_05_21"] == 302_049


def test_published_figures_are_the_research_file_without_quotes():
    """The 159 real figures of 49 pages ship with their page as source, quotes left out."""
    figures = reference.load("published_figures")
    assert len(figures) == 159 and figures["source_id"].nunique() == 49
    assert "quote" not in " ".join(figures.columns)
    sources = reference.load("sources").set_index("source_id")
    assert sources.loc[figures["source_id"], "url"].str.match(r"https?://").all()
    cb = figures[(figures["province"] == "Cao Bằng") & (figures["as_of"] == "2025-10-15")]
    rates = dict(zip(cb["measure"], cb["value"], strict=True))
    # README of shared/reference/published: 77.2 % of the 2022–2025 plan by mid-October 2025,
    # investment 83.2 %, recurrent nearly 67 %
    assert rates["disbursement_rate_total"] == 77.2
    assert rates["disbursement_rate_investment"] == 83.2
    assert rates["disbursement_rate_recurrent"] == 67.0
