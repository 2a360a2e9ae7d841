"""A 2 GB export streams through the whole load with bounded memory (never read whole)."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

TWO_GB = 2 * 1024**3


@pytest.mark.slow
def test_two_gigabyte_csv_loads_with_bounded_memory(shared_data: Path, tmp_path: Path) -> None:
    """2 GiB of PatentsView-format rows (real abstracts padded to a description's length, ~40 kB, and repeated
    under up to 3,000 numbers) load in a subprocess whose peak resident memory stays under 1 GiB."""
    with (shared_data / "patentsview" / "neural_network_patent_query.csv").open(encoding="utf-8") as fh:
        real = [r for r in csv.DictReader(fh) if r["patent_abstract"]][:3000]
    big = tmp_path / "patentsview-2gb.csv.gz"
    written = 0
    with gzip.open(big, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        w = csv.writer(out)
        w.writerow(["patent_abstract", "patent_date", "patent_number", "patent_title"])
        i = 0
        while written < TWO_GB:
            r = real[i % len(real)]
            abstract = (r["patent_abstract"] + " ") * 40
            w.writerow([abstract, r["patent_date"], r["patent_number"], r["patent_title"]])
            written += len(abstract) + 60
            i += 1
    code = (
        "import json, resource, sys\n"
        "from patnav.corpus.store import Corpus\nfrom patnav.corpus.loader import load_paths\n"
        "c = Corpus(sys.argv[1]); rep = load_paths(c, [sys.argv[2]], format='patentsview', export=False)\n"
        "read, t = rep.totals()\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (a big pytest process)
        "hwm = [int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM:')]\n"
        "rss = hwm[0] / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'read': read, 'new': t.new, 'unchanged': t.unchanged, 'q': t.quarantined,\n"
        "  'rss_mb': rss}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "c"), str(big)],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["read"] == i
    assert result["q"] == 0
    assert result["new"] == len(real) and result["unchanged"] == i - len(real)
    assert result["rss_mb"] < 1024, result
