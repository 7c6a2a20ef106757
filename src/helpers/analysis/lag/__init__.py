"""Disbursement lag against allocation timing: four models of the seed reports' claim
"capital was assigned late, so little was disbursed by the deadline".

1. Profiles (:mod:`.profiles`): cumulative share disbursed (amount-weighted) against months
   since the decision, fitted as logistic and Gompertz S-curves per allocation quarter x
   capital type, with bootstrap bands over lines and the months to 50 % / 90 %.
2. Survival (:mod:`.survival`): Kaplan-Meier curves of the months to 50 % (90 %) disbursed by
   allocation quarter, and a Cox model (allocation month, capital type, project, district;
   Efron ties) with a Schoenfeld-residual check of proportional hazards.
3. Year-end share (:mod:`.yearend`): fractional logit (GLM Binomial, logit link,
   quasi-likelihood) of the share disbursed by the 31 January deadline on months available x
   capital type with project, plan-year and district fixed effects, weighted by the amount,
   with HC1 or district-clustered sandwich errors; the timing effect is the average marginal
   effect of a decision one month later (pp), with a delta-method interval. A GLM without
   district effects and a MixedLM show how much timing is confused with district capacity.
4. Counterfactual (:mod:`.counterfactual`): predicted amount disbursed by the deadline had
   every line been decided by a scenario date, with a delta-method interval.

The year-end model keeps its district dummies as one code per line (:mod:`.design`), solves its
normal equations through the district block's Schur complement (:mod:`.blockfit`) and keeps
its covariance sparse plus low rank (:mod:`.lowrank`): its cost grows as the districts do.

:mod:`.prepare` builds the line table and the line x report-date panel; :mod:`.models` fits
everything once on all lines (cached by data hash and code); :mod:`.scope` applies the
province models to one scope; :mod:`.summary` gives the ``lag.json`` dict. Analysis emits ids
and numbers only (:class:`.prepare.Caveat`, :class:`.prepare.Verdict`, :class:`.prepare.Method`);
:mod:`helpers.steps.lag` renders their words from the ``lag`` catalogs.

Conventions: months are days / 30.4375; shares are capped at 1; "district" means the line's
former district (``district_code``: a district line's own district, a former commune's
district, the home district of a unit created on 1 July 2025, or the province for its own
lines; :func:`helpers.data.hierarchy.home_districts`).
"""
