"""The run's plan: one :class:`Node` per step of each scope (and language), in dependency order.

Choosing only some scopes (``--scope 042``) pulls in the upstream steps they read (the province
assessment). Order-only edges never pull a step in: they order two steps that both run. Each
node's notebook parameters are built and checked against what the notebook declares here,
before any work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from helpers.core.errors import Message, message, parameter_error
from helpers.run.manifest import Manifest, OutputRecord, StepRecord
from helpers.run.options import display_path
from helpers.run.steps import ANALYSIS_LANG, ScopeInfo, StepContext, StepSpec, Upstream

STATUS_DONE = ("ran", "skipped")
STATUS_BAD = ("failed", "blocked")


@dataclass(eq=False)
class Node:
    """One step of one scope (and language) in a run."""

    spec: StepSpec
    scope: ScopeInfo
    lang: str
    selected: bool
    out_dir: Path
    params: dict[str, Any] = field(default_factory=dict)
    deps: list[tuple[Node, Upstream]] = field(default_factory=list)
    dependents: list[Node] = field(default_factory=list)
    state: str = "waiting"
    reason: str = ""
    why: Message | None = None
    """What the runner says of this node's error in its own words (the recorded error's
    ``evalue`` is English): shown in the message language."""
    inputs: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    record: StepRecord | None = None
    priority: float = 0.0
    started: float = 0.0

    def __repr__(self) -> str:
        # not the dataclass's: it would print every dependency and dependent, and theirs, along
        # every path of the DAG (a failing test's report of a 67-scope run took 21 GB)
        return f"Node({self.id!r}, {self.state!r})"

    @property
    def key(self) -> str:
        return f"{self.spec.name}.{self.lang}" if self.spec.per_lang else self.spec.name

    @property
    def id(self) -> str:
        return f"{self.scope.slug}/{self.key}"

    @property
    def executed_name(self) -> str:
        """The executed notebook's file name (a function step writes none: its name, after
        its module's, is never created, and its record leaves it empty)."""
        stem = self.spec.notebook.stem
        return f"{stem}.{self.lang}.ipynb" if self.spec.per_lang else f"{stem}.ipynb"

    @property
    def finished(self) -> bool:
        return self.state in STATUS_DONE + STATUS_BAD


def build_plan(
    steps: Sequence[StepSpec],
    scopes: Sequence[ScopeInfo],
    province: ScopeInfo,
    langs: Sequence[str],
    data: str,
    out_root: Path,
    declared: dict[str, dict[str, Any]],
    options: Mapping[str, str] | None = None,
) -> list[Node]:
    """Every node of the run, upstream steps of the selected scopes included, in topological
    order; parameters are built and checked against the notebooks here (before any work).

    ``declared`` maps each step name to its notebook's record (``"parameters"``: the names
    the notebook declares); ``options`` are the run's analysis options
    (:attr:`helpers.run.steps.StepContext.options`)."""
    by_name = {s.name: s for s in steps}
    nodes: dict[tuple[str, str, str], Node] = {}
    order: list[Node] = []

    def get(spec: StepSpec, scope: ScopeInfo, lang: str, selected: bool) -> Node:
        lang = lang if spec.per_lang else ANALYSIS_LANG
        k = (spec.name, scope.slug, lang)
        if k in nodes:
            nodes[k].selected |= selected
            return nodes[k]
        node = Node(
            spec=spec,
            scope=scope,
            lang=lang,
            selected=selected,
            out_dir=out_root / scope.slug / (spec.folder or spec.name),
        )
        nodes[k] = node
        for up in spec.upstream:
            target = province if up.scope == "province" else scope
            if up.step not in by_name:
                raise parameter_error("run.unknown_step", step=repr(spec.name), other=repr(up.step))
            if not up.reads or (target == scope and up.step == spec.name):
                continue  # order-only edges are added below, between planned nodes only
            _link(node, get(by_name[up.step], target, lang, False), up)
        node.params = _node_parameters(
            node, data, out_root / province.slug, declared[spec.name]["parameters"], options
        )
        order.append(node)
        return node

    for scope in scopes:
        for spec in steps:
            if spec.province_only and not scope.is_province:
                continue
            for lang in langs if spec.per_lang else (ANALYSIS_LANG,):
                get(spec, scope, lang, True)
    _link_order_only(order, nodes, province)
    return toposort(order)


def _link_order_only(
    order: Sequence[Node], nodes: dict[tuple[str, str, str], Node], province: ScopeInfo
) -> None:
    """Order-only edges mean "run after it when both run": they never pull a step in."""
    for node in order:
        for up in node.spec.upstream:
            target = province if up.scope == "province" else node.scope
            dep = nodes.get((up.step, target.slug, ANALYSIS_LANG)) or nodes.get(
                (up.step, target.slug, node.lang)
            )
            if not up.reads and dep is not None and dep is not node:
                _link(node, dep, up)


def _link(node: Node, dep: Node, up: Upstream) -> None:
    if all(d is not dep for d, _ in node.deps):
        node.deps.append((dep, up))
        dep.dependents.append(node)


def toposort(nodes: Sequence[Node]) -> list[Node]:
    """Dependencies first; nodes ready at the same time keep their order in ``nodes``.

    Raises:
        ParameterError: the steps depend on each other in a cycle.
    """
    position = {node: i for i, node in enumerate(nodes)}
    sorter = TopologicalSorter({node: [d for d, _ in node.deps] for node in nodes})
    try:
        sorter.prepare()
    except CycleError as exc:
        raise parameter_error("run.cycle", step=exc.args[1][0].id) from None
    out: list[Node] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        out.extend(ready)
        sorter.done(*ready)
    return out


def _node_parameters(
    node: Node,
    data: str,
    province_dir: Path,
    declared: Sequence[str],
    options: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A node's notebook parameters: the step's own, plus its upstream folders; checked
    against what the notebook declares (optional ones dropped when it does not)."""
    spec, scope = node.spec, node.scope
    ctx = StepContext(
        data=data,
        scope=scope.parameter,
        slug=scope.slug,
        is_province=scope.is_province,
        lang=node.lang,
        out_dir=node.out_dir,
        options=dict(options or {}),
    )
    params = dict(spec.parameters(ctx))
    for dep, up in node.deps:
        if up.parameter:
            params[up.parameter] = str(dep.out_dir)
    for up in spec.upstream:  # a province brief: the province assessment is its own
        if up.parameter and up.parameter not in params and up.scope == "province":
            params[up.parameter] = str(province_dir / up.step)
    params = {k: v for k, v in params.items() if k not in spec.optional_parameters or k in declared}
    check_parameters(spec, params, declared)
    return params


def check_parameters(spec: StepSpec, params: dict[str, Any], declared: Iterable[str]) -> None:
    """Refuse a parameter the notebook does not declare (papermill itself only warns)."""
    declared = set(declared)
    unknown = sorted(set(params) - declared)
    if unknown:
        raise parameter_error(
            "run.undeclared",
            notebook=spec.function or display_path(spec.notebook),
            unknown=", ".join(unknown),
            step=repr(spec.name),
            declared=", ".join(sorted(declared)) or message("run.declares_none"),
        )
    if "out_dir" not in params:
        raise parameter_error("run.no_out_dir", step=repr(spec.name))


def assign_priorities(nodes: Sequence[Node], manifest: Manifest) -> None:
    """Critical path first: a node's priority is its duration plus its longest chain of
    dependents' durations (durations from the last run, else the step's weight)."""
    for node in reversed(nodes):  # dependents come later in topological order
        step = manifest.step(node.scope.slug, node.key)
        seconds = step.last_run.seconds if step and step.last_run else 0.0
        node.priority = float(seconds or node.spec.weight) + max(
            (d.priority for d in node.dependents), default=0.0
        )
