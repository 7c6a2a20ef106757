"""The province models: every lag model fitted once on all lines of a dataset, and the fit
cache (a pickle keyed by the data hash, the settings and the fitting code)."""

from __future__ import annotations

import hashlib
import pickle
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.analysis.lag.prepare import THRESHOLDS, LagData, prepare_lag_data
from helpers.analysis.lag.profiles import ProfileResult, fit_disbursement_profile
from helpers.analysis.lag.survival import SurvivalResult, fit_time_to_share
from helpers.analysis.lag.yearend import CLUSTER_BOOT, YearEndShareModel, fit_year_end_share
from helpers.core.files import atomic_write_bytes
from helpers.data.dataset import Dataset

if TYPE_CHECKING:  # scope.py imports this module
    from helpers.analysis.lag.scope import ScopeResult


@dataclass
class ProvinceModels:
    """Every lag model fitted once on all lines of a dataset, reusable for any scope."""

    data: LagData
    profile: ProfileResult
    profile_by_type: ProfileResult
    survival: dict[str, SurvivalResult]
    year_end: YearEndShareModel
    fit_seconds: dict[str, float]
    settings: dict[str, Any]
    sha256: str | None = None
    cache_key: str | None = None
    """The :func:`models_cache_key` it was cached under (data, settings, fitting code)."""
    units: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """The units table (a district scope covers the district and the units below it)."""
    scopes: dict[tuple[str, str], ScopeResult] = field(default_factory=dict, repr=False)
    """Per-scope results already computed (see :func:`analyse_scope`)."""


def fit_province_models(
    dataset: Dataset | LagData,
    *,
    n_boot: int = 200,
    seed: int = 0,
    cov_type: str = "HC1",
    district_checks: bool = True,
) -> ProvinceModels:
    """Prepare the data and fit every lag model once on all lines (the province model).

    Args:
        dataset: a validated dataset, or data already prepared with :func:`prepare_lag_data`.
        n_boot: bootstrap replicates of the profile bands.
        seed: seed of the bootstrap.
        cov_type: covariance of the year-end model (see :func:`fit_year_end_share`).
        district_checks: fit the no-district-effect GLM and the MixedLM check.

    Returns:
        A :class:`ProvinceModels`; pass it to :func:`summary_lag` for every scope.
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    data = dataset if isinstance(dataset, LagData) else prepare_lag_data(dataset)
    seconds["prepare"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    profile = fit_disbursement_profile(data, n_boot=n_boot, seed=seed)
    by_type = fit_disbursement_profile(
        data, ("capital_type",), n_boot=n_boot, seed=seed + 1, pooled=False
    )
    seconds["profile"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    survival = {f"{round(100 * thr)}": fit_time_to_share(data, thr) for thr in THRESHOLDS}
    seconds["time_to_share"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    year_end = fit_year_end_share(data, cov_type=cov_type, district_checks=district_checks)
    seconds["year_end_share"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # the counterfactuals' cluster bootstrap refits the province model, whatever the scope:
    # fitted here once, it is pickled with the models and every scope only predicts from it
    year_end.cluster_bootstrap(CLUSTER_BOOT, seed)
    seconds["cluster_bootstrap"] = time.perf_counter() - t0
    seconds["total"] = float(sum(seconds.values()))
    return ProvinceModels(
        data=data,
        profile=profile,
        profile_by_type=by_type,
        survival=survival,
        year_end=year_end,
        fit_seconds=seconds,
        settings={
            "n_boot": n_boot,
            "seed": seed,
            "cov_type": cov_type,
            "district_checks": district_checks,
        },
        sha256=None if isinstance(dataset, LagData) else dataset.sha256,
        units=data.units,
    )


_CACHE_SOURCES = (
    "analysis/lag/prepare.py",
    "analysis/lag/profiles.py",
    "analysis/lag/survival.py",
    "analysis/lag/design.py",
    "analysis/lag/blockfit.py",
    "analysis/lag/lowrank.py",
    "analysis/lag/yearend.py",
    "analysis/lag/counterfactual.py",
    "analysis/lag/models.py",
    "analysis/lag/scope.py",
    "analysis/lines.py",
    "analysis/survival_km.py",
    "data/deadlines.py",
)
"""Source files (under ``helpers/``) whose code shapes the pickled models."""


def models_cache_key(dataset: Dataset, **settings: Any) -> str | None:
    """Key of the fitted-model cache: data hash + fit settings + the code that fits.

    None when the dataset has no real SHA-256 (then nothing is cached).
    """
    if not re.fullmatch(r"[0-9a-f]{64}", str(dataset.sha256 or "")):
        return None
    h = hashlib.sha256(dataset.sha256.encode())
    h.update(repr(sorted(settings.items())).encode())
    here = Path(__file__).resolve().parents[2]
    for name in _CACHE_SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:32]


def load_or_fit_province_models(
    dataset: Dataset, cache_dir: str | Path | None = None, **settings: Any
) -> ProvinceModels:
    """:func:`fit_province_models`, reusing a pickle in ``cache_dir`` when one matches.

    The pickle's name is :func:`models_cache_key` (data SHA-256, settings and the source of
    the fitting modules), so changed data, settings or code never reuse a stale fit; after
    loading, the stored data hash and key are checked too, so a file copied or renamed from
    other data or code is never used. A cache that raises anything on load, or does not
    match, is deleted and refitted; the file is written atomically (a write that fails leaves
    no file and the fit is still returned). Pickles are loaded from our own processed-data
    folder only (never from user input).
    """
    key = models_cache_key(dataset, **settings) if cache_dir is not None else None
    path = Path(cache_dir) / f"lag_models_{key}.pkl" if key else None
    if path is not None and path.exists():
        models = _load_cached(path)
        if isinstance(models, ProvinceModels) and _matches(models, dataset, key):
            return models
        path.unlink(missing_ok=True)  # broken, or of other data: refitted below
    models = fit_province_models(dataset, **settings)
    if path is not None:
        models.cache_key = key
        try:
            atomic_write_bytes(path, pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass  # the cache only saves time: a folder that cannot be written costs a refit
    return models


def _load_cached(path: Path) -> object:
    """The object pickled in ``path``, or None when loading it raises anything (a truncated
    or corrupted file raises UnpicklingError, EOFError, ValueError, UnicodeDecodeError, …)."""
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - any broken cache is refitted
        return None


def _matches(models: ProvinceModels, dataset: Dataset, key: str | None) -> bool:
    """A cached fit is of this dataset (its stored SHA-256) and was stored under this key
    (the same settings and fitting code), whatever the file is called."""
    return models.sha256 == dataset.sha256 and getattr(models, "cache_key", None) == key
