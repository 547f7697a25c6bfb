"""Result rows and timing helpers shared by the benchmarks."""
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """One benchmark: `ours` against `baseline`, both measured in this run, in `unit`.

    `ratio` is what the target is stated in. `higher_is_better` says which way the target goes.
    """

    name: str
    ours: float
    baseline: float
    unit: str
    ratio: float
    target: float
    higher_is_better: bool
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    """Median wall time of `fn` in seconds over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def render(results: list[Result]) -> str:
    header = f"{'benchmark':58} {'ours':>12} {'baseline':>12} {'ratio':>9} {'target':>9}  ok"
    lines = [header, "-" * len(header)]
    for r in results:
        target = f"{'>=' if r.higher_is_better else '<='}{r.target:g}"
        lines.append(f"{r.name:58} {r.ours:>10.3f}{r.unit:>2} {r.baseline:>10.3f}{r.unit:>2} {r.ratio:>9.2f} "
                     f"{target:>9}  {'yes' if r.ok else 'NO'}")
        if r.note:
            lines.append(f"    {r.note}")
    return "\n".join(lines)
