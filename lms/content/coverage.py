"""Which clauses the library teaches: breach and followed counts per clause, against the bar.

The bar (issue 3): every pickable clause is the deciding (first-listed) clause of at least two
breach scenarios; a clause marked `guidance: true` in policy.yaml (the policy's "should"
clauses) may instead be shown followed in at least two compliant scenarios.

Works on the specs read from files and on the rows loaded in the database alike: both have
clauses with number/title/pickable/guidance and scenarios with verdict/clauses/followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

BAR = 2


class ClauseLike(Protocol):
    number: str
    title: str
    pickable: bool
    guidance: bool


class ScenarioLike(Protocol):
    verdict: str
    clauses: Sequence[str]
    followed: Sequence[str]


@dataclass(frozen=True)
class ClauseCoverage:
    number: str
    title: str
    guidance: bool
    breach: int      # breach scenarios deciding on this clause
    also: int        # breach scenarios listing it after the deciding clause
    followed: int    # compliant scenarios showing it followed
    by_module: dict[str, tuple[int, int]]  # slug -> (deciding breaches, followed)

    @property
    def meets_bar(self) -> bool:
        return self.breach >= BAR or (self.guidance and self.followed >= BAR)


@dataclass(frozen=True)
class Coverage:
    modules: tuple[str, ...]
    rows: tuple[ClauseCoverage, ...]
    breaches: int
    compliant: int

    @property
    def gaps(self) -> list[ClauseCoverage]:
        return [r for r in self.rows if not r.meets_bar]

    @property
    def compliant_share(self) -> float:
        total = self.breaches + self.compliant
        return self.compliant / total if total else 0.0


def coverage(clauses: Sequence[ClauseLike], modules: Sequence[tuple[str, Sequence[ScenarioLike]]]) -> Coverage:
    rows = []
    for clause in clauses:
        if not clause.pickable:
            continue
        n = clause.number
        by_module = {}
        breach = also = followed = 0
        for slug, scenarios in modules:
            b = sum(1 for s in scenarios if s.verdict == "breach" and s.clauses[0] == n)
            f = sum(1 for s in scenarios if s.verdict == "compliant" and n in s.followed)
            also += sum(1 for s in scenarios if s.verdict == "breach" and n in s.clauses[1:])
            by_module[slug] = (b, f)
            breach, followed = breach + b, followed + f
        rows.append(ClauseCoverage(n, clause.title, clause.guidance, breach, also, followed, by_module))
    everything = [s for _, scenarios in modules for s in scenarios]
    breaches = sum(1 for s in everything if s.verdict == "breach")
    return Coverage(tuple(slug for slug, _ in modules), tuple(rows), breaches, len(everything) - breaches)


def format_table(cov: Coverage) -> list[str]:
    """The matrix as plain text: one row per clause, B/F per module, totals and the bar."""
    short = [slug.split("-")[0][:8] for slug in cov.modules]
    head = f"{'clause':<8} {'title':<44} " + " ".join(f"{s:>8}" for s in short) + "  breach  also  followed  bar"
    lines = [head, "-" * len(head)]
    for r in cov.rows:
        cells = " ".join(f"{r.by_module[m][0]}/{r.by_module[m][1]}".rjust(8) for m in cov.modules)
        status = "ok" if r.meets_bar else "BELOW"
        kind = " (guidance)" if r.guidance else ""
        lines.append(f"{r.number:<8} {(r.title + kind)[:44]:<44} {cells}  {r.breach:>6}  {r.also:>4}  {r.followed:>8}  {status}")
    lines.append("")
    lines.append("Cells are deciding-breach/followed scenarios per module: " + ", ".join(
        f"{s} = {m}" for s, m in zip(short, cov.modules, strict=True)))
    total = cov.breaches + cov.compliant
    lines.append(f"{total} scenarios: {cov.breaches} breach, {cov.compliant} compliant ({cov.compliant_share:.0%}).")
    return lines
