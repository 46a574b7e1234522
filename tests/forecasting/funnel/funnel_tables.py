"""Constants of the hand-made funnel tables in conftest.py (a module of its own: the tests
import it, and ``from conftest import`` could find tests/forecasting's conftest instead)."""

AS_OF = "2026-12-31"  # window_months=12 -> the KPI window is 2026-01-01 .. 2026-12-31
