"""The plan's report as a sales leader reads it: one forecast per question, goals that can still
be met, and report.html in a real browser (headless Chromium at 1,366 px: no sideways overflow,
the headline's P(target) visible in %). Screenshots of the sample and Maven reports are written
to build/report-screenshots/ (or $REVOPS_SCREENSHOT_DIR) for a person to review.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from revops.cli import main

pytestmark = [pytest.mark.mlflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
MAVEN = ROOT.parent / "shared" / "data" / "crm-sales-opportunities"
WIDTH = 1366
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SHOTS = Path(os.environ.get("REVOPS_SCREENSHOT_DIR", ROOT / "build" / "report-screenshots"))

# Appended to a copy of report.html: measures the page once it has laid out, into a hidden
# element that --dump-dom prints (the report itself carries no script).
PROBE = """<script>
window.addEventListener('load', function () {
  var doc = document.documentElement, out = {
    scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth),
    scrollHeight: Math.max(doc.scrollHeight, document.body.scrollHeight),
    innerWidth: window.innerWidth, cells: []};
  document.querySelectorAll('#headline-table td.c-p_target').forEach(function (td) {
    var r = td.getBoundingClientRect(), box = td.closest('.scroll').getBoundingClientRect(),
        style = window.getComputedStyle(td);
    out.cells.push({text: td.textContent, left: r.left, right: r.right, height: r.height,
                    boxLeft: box.left, boxRight: box.right,
                    shown: style.visibility === 'visible' && style.display !== 'none'});
  });
  var pre = document.createElement('pre');
  pre.id = 'probe'; pre.style.display = 'none'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> str:
    """Debian's chromium; installed here when the tests run as root with apt-get."""
    found = _find_browser()
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=900)
        subprocess.run(["apt-get", "install", "-y", "chromium"], env=env, capture_output=True,
                       timeout=1800)
        found = _find_browser()
    if found is None:
        pytest.skip("no Chromium to render report.html: install Debian's 'chromium' package "
                    "(apt-get install -y chromium, as root; .ci/run does it)")
    return found


def _run(browser: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--disable-dev-shm-usage", "--no-first-run", *args],
                          capture_output=True, text=True, timeout=timeout)


def measure(browser: str, report: Path, tmp: Path) -> dict:
    """Lay report.html out at WIDTH px in Chromium; what the probe measured."""
    page = tmp / f"probe-{report.parent.name}.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
                    encoding="utf-8")
    done = _run(browser, f"--window-size={WIDTH},900", "--virtual-time-budget=10000", "--dump-dom",
                page.as_uri())
    found = re.search(r"<pre id=\"probe\"[^>]*>(.*?)</pre>", done.stdout, re.S)
    assert found, f"Chromium printed no measurement (exit {done.returncode}): {done.stderr[-2000:]}"
    import html

    return json.loads(html.unescape(found.group(1)))


def screenshots(browser: str, report: Path, name: str, height: int) -> list[Path]:
    """The first screen and the whole page, as PNGs for review."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, h in (("top", 900), ("full", min(max(height, 900), 16_000))):
        path = SHOTS / f"{name}-{suffix}.png"
        done = _run(browser, f"--window-size={WIDTH},{h}", f"--screenshot={path}", report.as_uri())
        assert path.is_file() and path.stat().st_size > 10_000, done.stderr[-2000:]
        paths.append(path)
    return paths


def _plan(data: Path, config: Path, out: Path) -> Path:
    # The examples' plan files, which set the report's currency (USD).
    assert 'currency = "USD"' in config.read_text(encoding="utf-8")
    code = main(["plan", "--data", str(data), "--out", str(out), "--config", str(config), "--quiet"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def sample_plan(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("report-mlflow")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        mp.setenv("MLFLOW_ARTIFACT_ROOT", str(store / "artifacts"))
        return _plan(sample_data_dir, ROOT / "examples" / "sample" / "plan.toml",
                     tmp_path_factory.mktemp("report-plans") / "sample")


@pytest.fixture(scope="module")
def maven_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MAVEN.is_dir():
        pytest.skip("the public Maven CRM export lives in ../shared/data (CI has it)")
    store = tmp_path_factory.mktemp("report-mlflow-maven")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
        mp.setenv("MLFLOW_ARTIFACT_ROOT", str(store / "artifacts"))
        return _plan(MAVEN, ROOT / "examples" / "maven-crm" / "plan.toml",
                     tmp_path_factory.mktemp("report-plans") / "maven")


def _plan_quarter_sums(out: Path, period: str) -> pd.Series:
    forecast = pd.read_csv(out / "forecast" / "forecast.csv")
    in_quarter = pd.to_datetime(forecast["period"]).dt.to_period("Q") == pd.Period(period, freq="Q")
    return forecast[in_quarter].groupby("segment")["p50"].sum()


def test_one_forecast_per_segment_everywhere(sample_plan):
    summary = json.loads((sample_plan / "summary.json").read_text())
    headline = summary["headline"]
    segments = headline["segments"]
    assert set(segments) == {"Enterprise", "Mid-Market", "SMB", "Total"}
    sums = _plan_quarter_sums(sample_plan, summary["plan_period"])
    for segment, numbers in segments.items():
        for key in ("target", "forecast_p10", "forecast_p50", "forecast_p90", "p_target",
                    "gap_to_target", "won_still_needed", "opportunities_still_needed",
                    "aes_needed", "aes_on_file", "quota_total", "quota_coverage"):
            assert numbers[key] is not None, (segment, key)
        assert numbers["forecast_p10"] <= numbers["forecast_p50"] <= numbers["forecast_p90"]
        # forecast.csv's months of the plan quarter add up to the headline (within 0.5 %)
        assert sums[segment] == pytest.approx(numbers["forecast_p50"], rel=0.005), segment
        assert numbers["gap_to_target"] == pytest.approx(numbers["target"] - numbers["forecast_p50"], abs=0.05)
        assert 0.0 <= numbers["p_target"] <= 1.0
    body = sum(v["forecast_p50"] for k, v in segments.items() if k != "Total")
    assert segments["Total"]["forecast_p50"] == pytest.approx(body, rel=1e-6)
    quarter = pd.read_csv(sample_plan / "forecast" / "quarter.csv").set_index("segment")
    assert quarter["p50"].to_dict() == pytest.approx({k: v["forecast_p50"] for k, v in segments.items()}, rel=1e-6)
    assert headline["currency"] == "USD" and "inverse of its mean squared" in headline["forecast_rule"]
    html = (sample_plan / "report.html").read_text()
    total = segments["Total"]
    from revops.report_format import money, share

    assert money(total["forecast_p50"], "USD", compact=True) in html     # the headline's number
    assert f">{share(total['p_target'])}<" in html                      # P(target) in %


def test_no_goal_in_a_month_already_over(sample_plan):
    plan = pd.read_csv(sample_plan / "funnel" / "funnel_plan.csv")
    past = plan[plan["in_past"]]
    assert len(past) > 0
    assert (past["still_needed"] <= 0).all()
    known = past.dropna(subset=["actual"])
    assert len(known) and known["gap"].to_numpy() == pytest.approx((known["required"] - known["actual"]).to_numpy())
    won = plan[plan["stage"] == "won"]
    assert won["expected_from_open"].sum() > 0            # the open pipeline is netted


def test_capacity_rests_on_the_forecast(sample_plan):
    summary = json.loads((sample_plan / "summary.json").read_text())
    total = summary["headline"]["segments"]["Total"]
    head = pd.read_csv(sample_plan / "funnel" / "headcount_summary.csv")
    ae = head[(head["role"] == "ae") & (head["segment"] != "ALL")].set_index("segment")
    for segment, row in ae.iterrows():
        numbers = summary["headline"]["segments"][segment]
        # at the forecast's productivity: AEs needed = productive FTE x target / forecast
        assert row["needed"] == pytest.approx(row["productive_fte"] * numbers["target"] / numbers["forecast_p50"],
                                              rel=1e-3), segment
    assert total["aes_needed"] == pytest.approx(ae["needed"].sum(), rel=1e-3)


def test_report_fits_a_1366px_window_and_shows_p_target(browser, sample_plan, tmp_path):
    probe = measure(browser, sample_plan / "report.html", tmp_path)
    assert probe["innerWidth"] == WIDTH
    assert probe["scrollWidth"] <= probe["innerWidth"], probe
    assert len(probe["cells"]) == 4                                  # 3 segments and the total
    for cell in probe["cells"]:
        assert re.fullmatch(r"\d{1,3}(\.\d)?%", cell["text"]), cell
        assert cell["shown"] and cell["height"] > 0
        assert 0 <= cell["left"] and cell["right"] <= WIDTH, cell
        assert cell["boxLeft"] <= cell["left"] and cell["right"] <= cell["boxRight"], cell  # not scrolled away
    screenshots(browser, sample_plan / "report.html", "sample", probe["scrollHeight"])


def test_maven_report_prices_its_open_deals(browser, maven_plan, tmp_path):
    pipeline = pd.read_csv(maven_plan / "forecast" / "pipeline.csv").set_index("segment")
    assert pipeline.loc["Total", "open_deals"] == 1589
    assert pipeline.loc["Total", "amounts_estimated"] == 1589
    assert pipeline.loc["Total", "open_pipeline"] > 1_000_000          # not worth zero
    assert pipeline.loc["Total", "weighted_pipeline"] > 0
    deals = pd.read_csv(maven_plan / "forecast" / "open_deals.csv")
    assert deals["amount_estimated"].all() and (deals["amount"] > 0).all()
    summary = json.loads((maven_plan / "summary.json").read_text())
    assert any("1,589 open deals" in n and "priced" in n for n in summary["notes"])
    total = summary["headline"]["segments"]["Total"]
    sums = _plan_quarter_sums(maven_plan, summary["plan_period"])
    assert sums["Total"] == pytest.approx(total["forecast_p50"], rel=0.005)
    plan = pd.read_csv(maven_plan / "funnel" / "funnel_plan.csv")
    assert (plan.loc[plan["in_past"], "still_needed"] <= 0).all()
    html = (maven_plan / "report.html").read_text()
    assert "<h2>Lead scoring</h2>" not in html and "Not in this report: Lead scoring" in html
    probe = measure(browser, maven_plan / "report.html", tmp_path)
    assert probe["scrollWidth"] <= probe["innerWidth"], probe
    assert len(probe["cells"]) == 4 and all(re.fullmatch(r"\d{1,3}(\.\d)?%", c["text"]) for c in probe["cells"])
    screenshots(browser, maven_plan / "report.html", "maven", probe["scrollHeight"])
