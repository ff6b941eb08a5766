"""Peak memory and speed of reading a large Apple Health export (the connector alone, no vault).

    python benchmarks/bench_health.py [--mb 500] [--keep PATH]

Writes a generated ``export.xml`` of about ``--mb`` megabytes (``tests/connectors/health_export.py``: dense step,
heart-rate and sleep samples from a phone and a watch), then streams it through the ``apple-health`` connector and
prints the file size, the days summarised, the time taken and this process's peak RSS before and after. A streamed
reader's peak grows with days, not with the file.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowme.connectors.health import AppleHealthConnector  # noqa: E402
from knowme.models import Record  # noqa: E402
from tests.connectors.health_export import write_export  # noqa: E402

BYTES_PER_DAY_PER_SAMPLE_HOUR = 12 * 3 * 330  # three samples of ~330 bytes per hour, twelve hours


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=500)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    path = args.keep or Path(tempfile.mkdtemp(prefix="knowme-bench-health-")) / "export.xml"
    days = 2000
    per_hour = max(1, int(args.mb * 1e6 / (days * BYTES_PER_DAY_PER_SAMPLE_HOUR)))
    if not path.exists():
        started = time.perf_counter()
        write_export(path, days=days, first=date(2019, 1, 1), samples_per_hour=per_hour)
        print(f"wrote {path.stat().st_size / 1e6:.0f} MB ({days} days) in {time.perf_counter() - started:.0f} s")
    before = peak_mb()
    started = time.perf_counter()
    summarised = sum(1 for item in AppleHealthConnector(path).iter_records() if isinstance(item, Record))
    took = time.perf_counter() - started
    size = path.stat().st_size / 1e6
    print(f"read {size:.0f} MB into {summarised} daily records in {took:.0f} s ({size / took:.1f} MB/s)")
    print(f"peak RSS: {before:.0f} MB before reading, {peak_mb():.0f} MB after")


if __name__ == "__main__":
    main()
