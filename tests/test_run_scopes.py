"""``mtqg run --scope`` words (districts, communes, all), names resolved by date, and the index
grouped by geography with its links between former districts and new units."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

from helpers.core.errors import ParameterError
from helpers.data import intake
from helpers.data.datasets import new_unit_codes, open_dataset, resolve_scope
from helpers.report import brief
from helpers.run.index import scope_geography
from helpers.run.inputs import resolve_scopes
from test_batch import dataset_cache, run_batch  # noqa: F401 - fixtures, used by name


@pytest.fixture(scope="module")
def shipped():
    return open_dataset("demo")


@pytest.fixture
def tiny(tmp_path, valid_tables, write_folder):
    """A hand-built province with two districts and no commune."""
    return intake.load_dataset(write_folder(tmp_path / "tiny", valid_tables))


def codes(scopes):
    return [s.code for s in scopes]


# --------------------------------------------------------------------------- scope words
def test_scope_words_on_the_shipped_units(shipped):
    districts = resolve_scopes(shipped, ["districts"])
    communes = resolve_scopes(shipped, ["communes"])
    everything = resolve_scopes(shipped, ["all"])
    assert len(districts) == 10 and {s.level for s in districts} == {"district"}
    assert len(communes) == 56 and all(s.code.startswith("N") for s in communes)
    assert len(everything) == 67
    assert codes(everything) == [shipped.province_code, *codes(districts), *codes(communes)]
    assert resolve_scopes(shipped, []) == everything  # the default
    # several values combine; duplicates are dropped; the order stays province, districts, new
    both = resolve_scopes(shipped, ["communes", "districts", "province", "042"])
    assert codes(both) == codes(everything)
    # a former commune is not in "all" but runs when named, after the others
    named = resolve_scopes(shipped, ["all", "01273"])
    assert codes(named) == [*codes(everything), "01273"] and named[-1].slug == "01273"


def test_new_units_are_derived_from_the_tables(shipped):
    units = shipped.units
    new = new_unit_codes(shipped)
    rows = units[units["unit_code"].isin(new)]
    assert (rows["level"] == "commune").all() and rows["valid_from"].notna().all()
    assert (rows["parent_code"].astype(str) == shipped.province_code).all()
    # former communes (parent = a district) are not new units
    assert not set(new) & set(units.loc[units["valid_to"].notna(), "unit_code"])


def test_a_province_without_communes(tiny):
    assert codes(resolve_scopes(tiny, ["all"])) == ["010", "011", "012"]
    assert codes(resolve_scopes(tiny, ["districts"])) == ["011", "012"]
    with pytest.raises(ParameterError, match="communes") as err:
        resolve_scopes(tiny, ["communes"])
    assert "010" in str(err.value)


# --------------------------------------------------------------------------- names by date
def test_a_name_means_the_unit_valid_today(shipped):
    assert resolve_scope(shipped, "Bảo Lâm").code == "N01290"  # Xã Bảo Lâm, since July 2025
    assert resolve_scope(shipped, "huyện Bảo Lâm").code == "042"  # the former district
    assert resolve_scope(shipped, "042").code == "042"  # a code whatever its dates
    assert resolve_scope(shipped, "01273").code == "01273"  # a former commune's code
    # on a day before the reform the bare name is the district
    assert resolve_scope(shipped, "Bảo Lâm", on="2024-05-01").code == "042"
    named = resolve_scopes(shipped, ["Bảo Lâm", "huyện Bảo Lâm"])
    assert codes(named) == ["042", "N01290"]


def test_an_ambiguous_name_lists_its_candidates(shipped):
    units = shipped.units.copy()
    twin = units[units["unit_code"] == "N01290"].copy()
    twin["unit_code"], twin["gso_code"] = "N09999", "09999"
    ds = dataclasses.replace(shipped, units=pd.concat([units, twin], ignore_index=True))
    with pytest.raises(ParameterError) as err:
        resolve_scope(ds, "Bảo Lâm")
    text = str(err.value)
    assert "N01290" in text and "N09999" in text
    assert resolve_scope(ds, "N09999").code == "N09999"


def test_unknown_scope_still_suggests(tiny):
    with pytest.raises(ParameterError, match="Bảo Lạc"):
        resolve_scopes(tiny, ["Bao Lak"])


# --------------------------------------------------------------------------- the index
def test_geography_links_new_units_and_former_districts(shipped):
    geo = scope_geography(shipped)
    groups = pd.Series(geo["group"]).value_counts().to_dict()
    assert groups == {"communes": 56, "districts": 10}
    assert geo["until"] == "2025-06-30" and geo["since"] == "2025-07-01"
    # Xã Bảo Lâm took communes of Bảo Lâm district, and the district lists it back
    assert geo["related"]["N01290"] == ["042"]
    assert "N01290" in geo["related"]["042"]
    for new, districts in geo["related"].items():
        if geo["group"][new] == "communes":
            assert all(new in geo["related"][d] for d in districts)


def _entry(root, code, level, name, slug=None):
    slug = slug or code
    return {
        "slug": slug,
        "unit_code": code,
        "level": level,
        "lang": "en",
        "name_vi": name,
        "name_en": name,
        "html": "brief.en.html",
        "html_path": str(root / slug / "brief" / "brief.en.html"),
        "n_lines": 3,
    }


def test_the_index_groups_scopes_and_links_them(tmp_path, shipped):
    entries = [
        _entry(tmp_path, "04", "province", "Cao Bang", "province"),
        _entry(tmp_path, "042", "district", "Bao Lam"),
        _entry(tmp_path, "N01290", "commune", "Bao Lam commune"),
        _entry(tmp_path, "01273", "commune", "Hop Giang ward"),
    ]
    for lang in ("en", "vi"):
        html = brief.write_index(
            [
                e
                | {
                    "lang": lang,
                    "html": f"brief.{lang}.html",
                    "html_path": e["html_path"].replace(".en.", f".{lang}."),
                }
                for e in entries
            ],
            tmp_path / f"index.{lang}.html",
            lang=lang,
            geography=scope_geography(shipped),
        ).read_text()
        groups = re.findall(r'<tbody data-group="(\w+)"', html)
        assert groups == ["province", "districts", "communes", "other"]
        # the new unit links to its former district's brief, the district back to it
        district_row = html[html.index('data-slug="042"') : html.index('data-slug="N01290"')]
        assert 'data-unit="N01290"' in district_row and "N01290/brief" in district_row
        commune_row = html[html.index('data-slug="N01290"') :]
        assert re.search(r'<a href="042/brief/brief\.\w\w\.html" data-unit="042"', commune_row)
    en = (tmp_path / "index.en.html").read_text()
    assert "Former districts (until 30 Jun 2025)" in en and "since 1 Jul 2025" in en
    vi = (tmp_path / "index.vi.html").read_text()
    assert "Các huyện cũ" in vi and "Các xã, phường từ" in vi


def test_the_index_without_geography_has_no_groups(tmp_path):
    html = brief.write_index(
        [_entry(tmp_path, "04", "province", "Cao Bang", "province")], tmp_path / "i.html", lang="en"
    ).read_text()
    assert 'class="group"' not in html and 'data-slug="province"' in html


# --------------------------------------------------------------------------- a small run
@pytest.mark.slow
@pytest.mark.xdist_group("batch")
def test_a_run_of_new_units_groups_its_index_and_skips_when_unchanged(tmp_path, run_batch):  # noqa: F811
    out = tmp_path / "out"
    report, text = run_batch(out, scopes=["communes", "042", "01273"], lang="en")
    assert report.exit_code == 0, text[-3000:]
    states = report.states()
    assert len({k.split("/")[0] for k in states}) == 1 + 56 + 1 + 1  # province pulled in
    html = (out / "index.html").read_text(encoding="utf-8")
    # the province's assessment ran (the district ranking) but not its brief: not listed
    groups = re.findall(r'<tbody data-group="(\w+)"', html)
    assert groups == ["districts", "communes", "other"]
    assert 'data-slug="01273"' in html  # a named former commune is listed, under "other"
    assert 'href="042/brief/brief.en.html" data-unit="042"' in html  # N01290 -> 042
    again, _ = run_batch(out, scopes=["communes", "042", "01273"], lang="en")
    assert again.exit_code == 0 and set(again.states().values()) == {"skipped"}
