"""The CPU steal the scoring bench prints beside each batch run (``bench.bench_service``): it says
whether a latency figure was taken on an idle host, so its arithmetic is checked here."""
from __future__ import annotations

from bench.bench_service import cpu_jiffies, with_steal

# A real first line of /proc/stat (Linux 6.1, KVM guest): user nice system idle iowait irq
# softirq steal guest guest_nice.
LINE = "cpu  6286684 6357 479512 1810934 60152 0 31428 141209 0 0\n"


def test_steal_and_total_are_read_from_the_cpu_line():
    steal, total = cpu_jiffies(LINE)
    assert steal == 141209
    assert total == 6286684 + 6357 + 479512 + 1810934 + 60152 + 0 + 31428 + 141209  # guest is in user


def test_other_lines_are_not_read():
    assert cpu_jiffies("cpu0 1 2 3 4 5 6 7 8 0 0") is None
    assert cpu_jiffies("intr 12345") is None
    assert cpu_jiffies("cpu 1 2 3") is None


def test_with_steal_adds_a_share_of_the_time_measured(monkeypatch):
    readings = iter([(100, 1_000), (130, 1_200)])
    monkeypatch.setattr("bench.bench_service._jiffies", lambda: next(readings))
    out = with_steal(lambda a, b: {"p50_ms": a + b}, 2, 3)
    assert out == {"p50_ms": 5, "steal_pct": 15.0}


def test_with_steal_is_none_where_proc_stat_is_missing(monkeypatch):
    monkeypatch.setattr("bench.bench_service._jiffies", lambda: None)
    assert with_steal(lambda: {"p50_ms": 1.0})["steal_pct"] is None
