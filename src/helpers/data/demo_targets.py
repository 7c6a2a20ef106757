"""The demo's target indicators: the shipped national ones plus DEMO-only rows, so that the
province meets the published number of its targets (12 of 21 for Cao Bằng), with district values
that aggregate to the province's."""

from __future__ import annotations

import numpy as np
import pandas as pd

_DEMO_INDICATORS: tuple[tuple[str, str, str, str, float], ...] = (
    ("demo_housing_support", "Hộ được hỗ trợ nhà ở (DA1)", "households supported with housing (DA1)",
     "households", 400.0),
    ("demo_water_support", "Hộ được hỗ trợ nước sinh hoạt phân tán (DA1)",
     "households supported with scattered domestic water (DA1)", "households", 900.0),
    ("demo_officials_trained", "Lượt cán bộ, người dân được tập huấn (DA5.TDA4)",
     "officials and residents trained (DA5.TDA4)", "persons", 1500.0),
    ("demo_production_support", "Hộ được hỗ trợ phát triển sản xuất (DA3)",
     "households supported in production (DA3)", "households", 1200.0),
)  # fmt: skip
"""Demo-only indicators (code, name vi, name en, unit, mean district target, a cumulative count
from 0 in 2020) that fill the province's list up to its published number of targets."""

DEMO_INDICATOR_NOTE = (
    "DEMO: demo-only indicator (not in the shipped list); source helpers.data.demo"
)


def _indicator_specs(indicators: pd.DataFrame, total: int) -> list[dict]:
    """The demo's indicators: the shipped ones, then demo-only counts up to ``total``.

    Each spec says how values are drawn and aggregated: ``%`` rates (one decimal, at most 100,
    province = weighted mean), ratios to 2020 (two decimals, weighted mean), counts (whole,
    province = sum of the districts).
    """
    specs = []
    for ind in indicators.itertuples():
        kind, nat = str(ind.target_kind), float(ind.national_target_value)
        spec = {
            "code": str(ind.indicator_code),
            "name_vi": str(ind.name_vi),
            "name_en": str(ind.name_en),
            "direction": str(ind.direction),
            "kind": kind,
            "national": nat,
            "note": "DEMO",
        }
        if kind == "level":
            spec |= {"unit": "%", "decimals": 1, "agg": "mean", "cap": 100.0}
        elif kind == "ratio_to_baseline":
            spec |= {"unit": "ratio", "decimals": 2, "agg": "mean", "cap": None}
        elif kind == "change_pp_per_year":
            spec |= {"unit": "%", "decimals": 1, "agg": "mean", "cap": 100.0}
        else:  # pct_change_vs_baseline: a count (communes and villages)
            spec |= {"unit": "communes and villages", "decimals": 0, "agg": "sum", "cap": None}
        specs.append(spec)
    for code, vi, en, unit, mean in _DEMO_INDICATORS[: max(0, total - len(specs))]:
        specs.append(
            {
                "code": code,
                "name_vi": f"DEMO – {vi}",
                "name_en": f"DEMO – {en}",
                "direction": "higher_better",
                "kind": "demo_count",
                "national": mean,
                "note": DEMO_INDICATOR_NOTE,
                "unit": unit,
                "decimals": 0,
                "agg": "sum",
                "cap": None,
            }
        )
    return specs


def _district_start(rng: np.random.Generator, spec: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Baseline (2020) and 2025 target of each district."""
    kind, nat = spec["kind"], spec["national"]
    if kind == "level":
        base = np.round(nat * rng.uniform(0.55, 0.95, n), 1)
        return base, np.full(n, nat)
    if kind == "ratio_to_baseline":
        return np.ones(n), np.full(n, nat)
    if kind == "change_pp_per_year":
        base = np.round(rng.uniform(20, 50, n), 1)
        return base, base + 5 * nat
    if kind == "demo_count":
        return np.zeros(n), np.round(nat * rng.lognormal(0.0, 0.3, n))
    base = rng.integers(8, 40, n).astype(float)  # pct_change_vs_baseline
    return base, np.floor(base * (1 + nat / 100))


def _aggregate(spec: dict, values: np.ndarray, weight: np.ndarray) -> float:
    return float(values.sum() if spec["agg"] == "sum" else (values * weight).sum() / weight.sum())


def demo_targets(
    rng: np.random.Generator,
    indicators: pd.DataFrame,
    province: str,
    districts: list[str],
    n_met: int,
    total: int,
) -> pd.DataFrame:
    """Baseline 2020, target 2025 and actual values 2021–2025 per indicator, district, province.

    Each district has its own values; the province's are their aggregate (weighted mean of
    rates and ratios, sum of counts), its target the aggregate of theirs. ``n_met`` indicators,
    drawn at random, are met at the province in 2025, the others not.
    """
    specs = _indicator_specs(indicators, total)
    n = len(districts)
    weight = rng.lognormal(0.0, 0.4, n)
    met = np.zeros(len(specs), dtype=bool)
    met[rng.choice(len(specs), size=min(n_met, len(specs)), replace=False)] = True
    rows = []
    for spec, is_met in zip(specs, met, strict=True):
        base, target = _district_start(rng, spec, n)
        noise = rng.normal(0.0, 0.15, n)
        cap = np.inf if spec["cap"] is None else spec["cap"]
        want = rng.uniform(1.03, 1.25) if is_met else rng.uniform(0.55, 0.9)
        b_prov, t_prov = _aggregate(spec, base, weight), _aggregate(spec, target, weight)

        def final(d: float, base=base, target=target, noise=noise, cap=cap) -> np.ndarray:
            return np.clip(base + (target - base) * (d + noise), 0.0, cap)

        def progress(d: float, spec=spec, b_prov=b_prov, t_prov=t_prov) -> float:
            return (_aggregate(spec, final(d), weight) - b_prov) / (t_prov - b_prov)

        lo_d, hi_d = -2.0, 4.0
        for _ in range(80):
            mid = 0.5 * (lo_d + hi_d)
            lo_d, hi_d = (mid, hi_d) if progress(mid) < want else (lo_d, mid)
        f25 = final(hi_d)
        dec = spec["decimals"]
        series = {}
        for k, year in enumerate(range(2021, 2026), start=1):
            if year == 2025:
                v = f25
            else:
                v = base + (f25 - base) * k / 5 + rng.normal(0, 0.03, n) * abs(f25 - base)
                v = np.clip(v, 0.0, np.minimum(cap, f25) if spec["agg"] == "sum" else cap)
            series[year] = np.round(v, dec)
        for j, unit in enumerate(districts):
            for year, v in series.items():
                missing = year == 2025 and rng.random() < 0.05  # no 2025 report yet
                rows.append((spec, unit, base[j], target[j], year, None if missing else v[j]))
        for year, v in series.items():
            rows.append((spec, province, b_prov, t_prov, year, _aggregate(spec, v, weight)))
    out = pd.DataFrame(
        [
            {
                "indicator_code": spec["code"],
                "name_vi": spec["name_vi"],
                "name_en": spec["name_en"],
                "unit": spec["unit"],
                "direction": spec["direction"],
                "unit_code": unit,
                "baseline_value": round(float(b), spec["decimals"]),
                "target_value": round(float(t), spec["decimals"]),
                "year": year,
                "actual_value": None if v is None else round(float(v), spec["decimals"]),
                "note": spec["note"],
            }
            for spec, unit, b, t, year, v in rows
        ]
    )
    return out
