"""The hand-made six leads of one segment (and their activities), with the answers worked by hand.

as_of 2026-12-18 (a Friday); SLA: first touch the same day, 5 calls + 2 emails in 7 days.
- L1 Tue 12-01 09:00: call 09:30, 5 calls, 2 emails in the week -> same day, cadence met; SQL.
- L2 Tue 12-01 15:00: first call the next morning, then 5 calls + 2 emails -> late, cadence met;
  not an SQL; sales rejected it ("no budget").
- L3 Wed 12-02 11:00: email 12:00, 3 calls + 2 emails -> same day, cadence missed; open.
- L4 Thu 12-03 10:00: never touched -> no first touch, cadence missed; open.
- L5 Tue 12-15 09:00: meeting 11:00 (any channel counts), 2 calls -> same day, window open; open.
- L6 Wed 12-16 14:00: first call the next morning; a call after as_of is not counted -> late,
  window open; open.
"""
import pandas as pd

AS_OF = "2026-12-18"
LEADS = pd.DataFrame({
    "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
    "created_at": ["2026-12-01 09:00", "2026-12-01 15:00", "2026-12-02 11:00", "2026-12-03 10:00",
                   "2026-12-15 09:00", "2026-12-16 14:00"],
    "segment": ["SMB"] * 6,
    "lead_source": ["Webinar", "Webinar", "Event", "Event", "Webinar", "Event"],
    "is_sql": ["1", "0", "", "", "", ""],
    "owner_rep_id": ["R1", "R1", "R2", "R2", "R1", "R2"],
    "disposition": ["accepted", "rejected", "", "", "", ""],
    "rejection_reason": ["", "no budget", "", "", "", ""],
})
_ACTS = [
    ("L1", "2026-12-01 09:30", "call"), ("L1", "2026-12-01 10:00", "email"),
    ("L1", "2026-12-02 10:00", "call"), ("L1", "2026-12-03 10:00", "call"),
    ("L1", "2026-12-03 11:00", "email"), ("L1", "2026-12-04 10:00", "call"),
    ("L1", "2026-12-07 10:00", "call"),
    ("L2", "2026-12-02 10:00", "call"), ("L2", "2026-12-02 11:00", "email"),
    ("L2", "2026-12-03 10:00", "call"), ("L2", "2026-12-04 10:00", "call"),
    ("L2", "2026-12-04 11:00", "email"), ("L2", "2026-12-05 10:00", "call"),
    ("L2", "2026-12-06 10:00", "call"),
    ("L3", "2026-12-02 12:00", "email"), ("L3", "2026-12-03 10:00", "call"),
    ("L3", "2026-12-04 10:00", "call"), ("L3", "2026-12-05 10:00", "email"),
    ("L3", "2026-12-07 10:00", "call"),
    ("L5", "2026-12-15 11:00", "meeting"), ("L5", "2026-12-16 10:00", "call"),
    ("L5", "2026-12-17 10:00", "call"),
    ("L6", "2026-12-17 09:00", "call"), ("L6", "2026-12-20 09:00", "call"),
]
ACTIVITIES = pd.DataFrame({
    "activity_id": [f"A{i}" for i in range(1, len(_ACTS) + 1)],
    "lead_id": [a[0] for a in _ACTS], "at": [a[1] for a in _ACTS], "channel": [a[2] for a in _ACTS],
    "rep_id": ["R1" if a[0] in ("L1", "L2", "L5") else "R2" for a in _ACTS],
})
BREACHES = {"L3": "cadence missed", "L4": "no first touch; cadence missed", "L6": "late first touch"}


def write(folder):
    folder.mkdir(parents=True, exist_ok=True)
    LEADS.to_csv(folder / "leads.csv", index=False)
    ACTIVITIES.to_csv(folder / "activities.csv", index=False)
    return folder
