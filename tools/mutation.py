"""Mutation testing of the security-critical modules (docs/testing.md).

    python tools/mutation.py                      every module in [tool.mutmut] only_mutate
    python tools/mutation.py portal/crypto.py     one module (or several)
    python tools/mutation.py --report             print the last results, run nothing

mutmut copies the tree to ``mutants/``, plants every fault of each module and
runs, for each one, only the tests that called the mutated function in its
first clean run (its stats), so a module takes minutes rather than the whole
suite per mutant. Results stay in ``mutants/`` between runs: a mutant whose
function and tests did not change is not run again.

The table counts a mutant as killed when a test failed or timed out with it,
and as surviving when every covering test passed or no test reached it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.10  # at most this share of a module's mutants may survive

# mutmut's exit codes (mutmut/stats.py), folded into what the table reports.
KILLED_CODES = {1, 3, 36, 24, -24, 152, 255, -11, -9, 37}
SURVIVED_CODES = {0, 5, 33}


def configured_modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return list(config["tool"]["mutmut"]["only_mutate"])


def module_path(name: str) -> str:
    """``portal/crypto.py`` or ``portal.crypto`` as the configured path."""
    path = name if name.endswith(".py") else name.replace(".", "/") + ".py"
    if path not in configured_modules():
        sys.exit(f"{name}: not in [tool.mutmut] only_mutate of pyproject.toml")
    return path


def mutant_glob(path: str) -> str:
    """mutmut names a mutant ``portal.crypto.x_decrypt__mutmut_3``."""
    return path.removesuffix(".py").replace("/", ".") + ".*"


def run(paths: list[str], children: int) -> int:
    mutmut = Path(sys.executable).parent / "mutmut"
    command = [str(mutmut), "run", "--max-children", str(children), *map(mutant_glob, paths)]
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603


def results(path: str) -> tuple[Counter[str], list[str]]:
    meta = ROOT / "mutants" / (path + ".meta")
    counts: Counter[str] = Counter()
    survivors: list[str] = []
    if not meta.exists():
        return counts, survivors
    codes = _read_meta(meta).get("exit_code_by_key", {})
    for name, code in sorted(codes.items(), key=lambda item: _mutant_order(item[0])):
        if code is None:
            counts["not run"] += 1
        elif code in KILLED_CODES:
            counts["killed"] += 1
        elif code in SURVIVED_CODES:
            counts["survived"] += 1
            survivors.append(name + ("" if code == 0 else " (no test reached it)"))
        else:
            counts["suspicious"] += 1
            survivors.append(f"{name} (suspicious, exit code {code})")
    return counts, survivors


def _read_meta(meta: Path) -> dict:
    """mutmut rewrites the file as it goes: a --report during a run may catch it empty."""
    for _ in range(20):
        try:
            return json.loads(meta.read_text("utf-8"))
        except json.JSONDecodeError:
            time.sleep(0.25)
    return json.loads(meta.read_text("utf-8"))


def _mutant_order(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number) if number.isdigit() else 0


def report(paths: list[str]) -> bool:
    """Print the table and the survivors; True when every module meets TARGET."""
    print(f"\n{'module':40} {'killed':>7} {'survived':>8} {'not run':>7} {'survived %':>10}")
    ok = True
    all_survivors: list[str] = []
    for path in paths:
        counts, survivors = results(path)
        checked = counts["killed"] + counts["survived"] + counts["suspicious"]
        share = (counts["survived"] + counts["suspicious"]) / checked if checked else 0.0
        flag = "" if share <= TARGET else "  over target"
        ok = ok and share <= TARGET and not counts["not run"]
        print(
            f"{path:40} {counts['killed']:7} {counts['survived'] + counts['suspicious']:8} "
            f"{counts['not run']:7} {share:10.1%}{flag}"
        )
        all_survivors += survivors
    if all_survivors:
        print("\nSurvivors (see each with: .venv/bin/mutmut show NAME):")
        for name in all_survivors:
            print("  " + name)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="portal/crypto.py or portal.crypto")
    parser.add_argument("--report", action="store_true", help="print the last results only")
    parser.add_argument(
        "--children", type=int, default=int(os.environ.get("MUTATION_CHILDREN", "2"))
    )
    args = parser.parse_args()
    paths = [module_path(m) for m in args.modules] or configured_modules()
    if not args.report:
        code = run(paths, args.children)
        if code:
            print(f"mutmut stopped with exit code {code}", file=sys.stderr)
            return code
    return 0 if report(paths) else 1


if __name__ == "__main__":
    sys.exit(main())
