"""Reading a lead export: peak memory of ``revops.io.read_table`` against ``pandas.read_csv``.

    python -m bench.bench_read [--leads 500000] [--seed 0] [--file PATH] [--repeat 3]
                               [--variants utf8,cp1252,utf16,gzip] [--no-old]

The file: the sample CRM's ``leads.csv`` (``revops.sample_data.generate(n_leads=...)``), or
``--file``. Variants of the same table: ``utf8`` (as written), ``cp1252`` (Excel's Western
encoding, an ``é`` far past the sample that judges the encoding), ``utf16`` (Excel's "Unicode
Text": UTF-16 LE with a byte-order mark, tab-separated) and ``gzip`` (the UTF-8 file gzip'd).

Each reader runs in a fresh process of its own and reports its peak resident memory
(``VmHWM``; the interpreter, pandas and ``revops.io`` imported alike in each,
about 105 MB before reading) and its time:

- ours: ``read_table(path)``, which detects the encoding and the delimiter itself;
- peer: ``pandas.read_csv(path)`` with pandas' defaults, told the encoding and delimiter;
- old: what ``read_table`` did before (read the bytes, decode them whole, parse the string).

Each reader runs ``--repeat`` times, the readers taking turns; the run of median peak is shown.

Done when, for every variant, our median peak is no higher than pandas' highest run: the two
are equal to within a process's run-to-run variation (a few tenths of a MB).
"""
from __future__ import annotations

import argparse
import codecs
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
kind, path, encoding, sep = sys.argv[1:5]
import pandas as pd
# Every reader's process imports the same modules: the figures differ by the reading alone.
from revops.io import MISSING_MARKERS, read_table
if kind == "ours":
    read = lambda: read_table(path)
elif kind == "peer":
    read = lambda: pd.read_csv(path, encoding=encoding, sep=sep)
else:
    import io
    def read():
        raw = open(path, "rb").read()
        if path.endswith(".gz"):
            raw = __import__("gzip").decompress(raw)
        text = raw.decode(encoding)
        return pd.read_csv(io.StringIO(text), sep=sep, low_memory=False, keep_default_na=False,
                           na_values=MISSING_MARKERS, skipinitialspace=True)
def peak_kb():
    # VmHWM starts anew with each program; getrusage's maxrss would carry the parent's peak
    # across fork and exec on Linux.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
before = peak_kb()
start = time.perf_counter()
frame = read()
seconds = time.perf_counter() - start
peak = peak_kb()
print(json.dumps({"peak_mb": peak / 1024, "base_mb": before / 1024, "seconds": seconds,
                  "shape": list(frame.shape)}))
"""


def measure_once(kind: str, path: Path, encoding: str, sep: str) -> dict:
    """Run one reader in a fresh process; its peak memory and time."""
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), encoding, sep],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(kinds: list[str], path: Path, encoding: str, sep: str, repeat: int) -> dict[str, dict]:
    """Each reader ``repeat`` times, taking turns; per reader, the run of median peak (a
    process's peak varies by a few MB from run to run with where the allocator places blocks)."""
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for _ in range(repeat):
        for kind in kinds:
            runs[kind].append(measure_once(kind, path, encoding, sep))
    chosen = {}
    for kind, found in runs.items():
        peaks = [r["peak_mb"] for r in found]
        chosen[kind] = dict(sorted(found, key=lambda r: r["peak_mb"])[len(found) // 2],
                            low_mb=min(peaks), high_mb=max(peaks))
    return chosen


def make_variants(source: Path, folder: Path, names: list[str]) -> dict[str, tuple[Path, str, str]]:
    """name -> (file, encoding, delimiter) for the peer, written next to each other."""
    variants: dict[str, tuple[Path, str, str]] = {}
    for name in names:
        if name == "utf8":
            variants[name] = (source, "utf-8", ",")
        elif name == "gzip":
            path = folder / "leads.csv.gz"
            with source.open("rb") as src, gzip.open(path, "wb", compresslevel=6) as dst:
                shutil.copyfileobj(src, dst)
            variants[name] = (path, "utf-8", ",")
        elif name == "cp1252":
            path = folder / "leads_cp1252.csv"
            with source.open(encoding="utf-8") as src, path.open("w", encoding="cp1252", newline="") as dst:
                lines = iter(src)
                dst.write(next(lines))
                for i, line in enumerate(lines):
                    # A Western-European name deep in the file: the sample alone would say UTF-8.
                    dst.write(line.replace("please", "café", 1) if i % 50_000 == 49_999 else line)
            variants[name] = (path, "cp1252", ",")
        elif name == "utf16":
            path = folder / "leads_unicode.txt"
            with source.open(encoding="utf-8") as src, path.open("wb") as dst:
                dst.write(codecs.BOM_UTF16_LE)
                encoder = codecs.getincrementalencoder("utf-16-le")()
                for line in src:
                    dst.write(encoder.encode(line.replace(",", "\t")))
            variants[name] = (path, "utf-16", "\t")
        else:
            raise SystemExit(f"unknown variant {name!r}; expected utf8, cp1252, utf16 or gzip")
    return variants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--file", type=Path, help="a UTF-8, comma-separated CSV to read instead")
    parser.add_argument("--variants", default="utf8,cp1252,utf16,gzip")
    parser.add_argument("--no-old", action="store_true", help="skip the whole-file-decode reader")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader (median peak)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_read_") as tmp:
        folder = Path(tmp)
        if args.file is None:
            # In a process of its own: the generator's memory stays out of the readers' figures.
            subprocess.run([sys.executable, "-c", "import sys; from revops.sample_data import generate; "
                            "generate(sys.argv[1], seed=int(sys.argv[2]), n_leads=int(sys.argv[3]))",
                            str(folder / "crm"), str(args.seed), str(args.leads)], check=True)
            source = folder / "crm" / "leads.csv"
        else:
            source = args.file
        print(f"file: {source.name if args.file is None else source}, "
              f"{source.stat().st_size / 2**20:.1f} MB"
              + (f" ({args.leads:,} sample leads)" if args.file is None else ""))
        variants = make_variants(source, folder, args.variants.split(","))
        print(f"{'variant':<8} {'MB':>6}  {'ours peak':>9} {'pandas peak (its runs)':>24} {'ratio':>6} "
              f"{'reading':>7}  {'ours s':>6} {'pandas s':>8}  {'old peak':>8} {'old s':>5}")
        worst, missed = 0.0, []
        for name, (path, encoding, sep) in variants.items():
            kinds = ["ours", "peer"] + ([] if args.no_old else ["old"])
            found = measure(kinds, path, encoding, sep, args.repeat)
            ours, peer, old = found["ours"], found["peer"], found.get("old")
            if ours["shape"] != peer["shape"]:
                raise SystemExit(f"{name}: ours read {ours['shape']}, pandas {peer['shape']}")
            ratio = ours["peak_mb"] / peer["peak_mb"]
            reading = (ours["peak_mb"] - ours["base_mb"]) / (peer["peak_mb"] - peer["base_mb"])
            worst = max(worst, ratio)
            # Met when our median peak is within what pandas' own runs reach: a process's peak
            # moves by a few tenths of a MB from run to run.
            if ours["peak_mb"] > peer["high_mb"]:
                missed.append(name)
            spread = f"{peer['peak_mb']:.1f} ({peer['low_mb']:.1f}-{peer['high_mb']:.1f})"
            old_text = "" if old is None else f"{old['peak_mb']:>6.1f}MB {old['seconds']:>4.1f}s"
            print(f"{name:<8} {path.stat().st_size / 2**20:>6.1f}  {ours['peak_mb']:>7.1f}MB "
                  f"{spread:>22}MB {ratio:>6.3f} {reading:>7.3f}  {ours['seconds']:>5.2f}s "
                  f"{peer['seconds']:>7.2f}s  {old_text}", flush=True)
        print(f"peak memory, ours / pandas.read_csv (median of {args.repeat} runs each): at most "
              f"{worst:.4f}; {'met' if not missed else 'MISSED for ' + ', '.join(missed)} (target: "
              f"ours within pandas' own runs). Each reader in a process of its own, "
              f"~{peer['base_mb']:.0f} MB before reading; 'reading': the ratio of the growth while "
              "reading.")
        return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
