"""``python -m bench [names] [--quick]``: run benchmarks, print each figure beside its limit
as a ratio, and write the run to ``bench/results/<time>.json``."""

import argparse
import asyncio
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import ModuleType

from bench import benchmarks
from bench.core import RESULTS_DIR, Figure, Options

Run = Callable[[Options], Awaitable[list[Figure]]]


def available() -> dict[str, ModuleType]:
    return {
        info.name: importlib.import_module(f"{benchmarks.__name__}.{info.name}")
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if not info.name.startswith("_")
    }


def title(module: ModuleType) -> str:
    return (module.__doc__ or module.__name__).strip().splitlines()[0]


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.2f} {unit}"
    return f"{value:,.0f} {unit}"


def print_figures(name: str, module: ModuleType, figures: list[Figure], seconds: float) -> None:
    print(f"\n{name}: {title(module)}  ({seconds:.0f} s)")
    width = max(len(f.name) for f in figures)
    limit_width = max(len(f.limit_name) for f in figures)
    for f in figures:
        better = "higher is better" if f.higher_is_better else "lower is better"
        print(
            f"  {f.name:<{width}}  {_number(f.value, f.unit):>12}"
            f"  vs {_number(f.limit, f.unit):>12} {f.limit_name:<{limit_width}}"
            f"  ratio {f.ratio:5.2f}  ({better}){'  ' + f.note if f.note else ''}"
        )


def main(argv: list[str] | None = None) -> int:
    found = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (all): {', '.join(found)}")
    parser.add_argument("--quick", action="store_true", help="a tenth of the load, to try it")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(found))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; there are: {', '.join(found)}")
    options = Options(quick=args.quick)
    started = datetime.now(UTC)
    # Ratios hold up on a busy machine better than absolute figures; say how busy it was.
    load_before = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load_before:.1f} at start")
    results: dict[str, list[dict[str, object]]] = {}
    for name in args.names or list(found):
        module = found[name]
        run: Run = module.run
        t0 = time.monotonic()
        figures = asyncio.run(run(options))
        print_figures(name, module, figures, time.monotonic() - t0)
        results[name] = [f.to_json() for f in figures]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{started:%Y%m%dT%H%M%SZ}.json"
    record = {
        "started_at": started.isoformat(),
        "quick": options.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "load_average": {"start": load_before, "end": os.getloadavg()[0]},
        },
        "benchmarks": results,
    }
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {path.relative_to(RESULTS_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
