"""The receipt benchmark runs and ends with its figures as one JSON line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "receipt.py"


def test_the_quick_benchmark_ends_with_milliseconds_per_mode_as_json():
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--runs", "1"],
                          capture_output=True, text=True, timeout=120, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {"image", "codepage_tcvn3", "codepage_cp1258", "ascii"}
    assert all(isinstance(ms, (int, float)) and ms > 0 for ms in figures.values())
