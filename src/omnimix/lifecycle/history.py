"""Each person's stage transitions with times, from the CRM exports in the warehouse.

Two sources give the same events and are read together:

* ``stage_history``: one row per transition (a stage-history export; ``omnimix ingest --table
  stage_history`` or a file with its columns), with the owner, lead score, sales first contact and
  feedback of the hand-off;
* ``contacts``: HubSpot's "Became a Lead Date", "Became a Marketing Qualified Lead Date", … columns
  (``became_<stage>_at``), one event per filled column, with the record's owner, score and original
  source.

A person is a CRM ``record_id``. Stage names are folded onto ``[lifecycle] stages`` through the
aliases; rows of other stages (HubSpot's ``other``) are counted and left out. The same
(record, stage, time) from both sources is one event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from omnimix.lifecycle.stages import StageModel
from omnimix.schema import BECAME_STAGES
from omnimix.workspace import Workspace

EVENT_COLUMNS: tuple[str, ...] = ("record_id", "stage", "entered_at", "channel", "owner", "lead_score",
                                  "contacted_at", "feedback", "feedback_reason", "amount", "source")
_HISTORY_COLS = list(EVENT_COLUMNS)
_CONTACT_COLS = ["record_id", "source", "owner", "lead_score", "lead_source",
                 *[f"became_{s}_at" for s in BECAME_STAGES]]


@dataclass(frozen=True)
class StageEvents:
    """The events of every person, with what was left out.

    Attributes:
        frame: one row per (record_id, stage, entered_at) with :data:`EVENT_COLUMNS`, time-ordered.
        dropped: stage name → rows left out because the name is not a lifecycle stage.
        sources: the tables the events came from.
    """

    frame: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    @property
    def as_of(self) -> dt.datetime | None:
        """The newest time in the data (entries and contacts)."""
        if self.frame.empty:
            return None
        t = pd.concat([self.frame["entered_at"], self.frame["contacted_at"]]).max()
        return None if pd.isna(t) else pd.Timestamp(t).to_pydatetime()


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS})


def from_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Stage events from HubSpot's became-date columns of ``contacts`` rows (unknown stage names kept)."""
    parts = []
    for s in BECAME_STAGES:
        col = f"became_{s}_at"
        if col not in contacts.columns:
            continue
        rows = contacts[contacts[col].notna()]
        if rows.empty:
            continue
        parts.append(pd.DataFrame({
            "record_id": rows["record_id"].astype(str), "stage": s, "entered_at": pd.to_datetime(rows[col]),
            "channel": rows.get("lead_source"), "owner": rows.get("owner"), "lead_score": rows.get("lead_score"),
            "contacted_at": pd.NaT, "feedback": None, "feedback_reason": None, "amount": float("nan"),
            "source": rows.get("source")}))
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def normalise(raw: pd.DataFrame, model: StageModel) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fold stage names onto the model, drop other stages (counted), de-duplicate and sort."""
    if raw.empty:
        return _empty(), {}
    df = raw.copy()
    keys = df["stage"].map(model.key)
    bad = df.loc[keys.isna(), "stage"].astype(str).value_counts()
    df["stage"] = keys
    df = df[df["stage"].notna()].copy()
    df["entered_at"] = pd.to_datetime(df["entered_at"])
    df["contacted_at"] = pd.to_datetime(df["contacted_at"])
    df["lead_score"] = pd.to_numeric(df["lead_score"], errors="coerce")
    df["amount"] = pd.to_numeric(df["amount"], errors="coerce")
    df["record_id"] = df["record_id"].astype(str)
    fb = df["feedback"].where(df["feedback"].notna(), None)
    df["feedback"] = fb.map(lambda v: v.strip().lower() if isinstance(v, str) and v.strip() else None)
    # a stage-history row carries more than a became-date: keep it where both give the same event
    df["_rank"] = df["contacted_at"].notna().astype(int) + df["feedback"].notna().astype(int)
    df = (df.sort_values(["record_id", "stage", "entered_at", "_rank"], ascending=[True, True, True, False])
          .drop_duplicates(["record_id", "stage", "entered_at"]).drop(columns="_rank"))
    order = {s: i for i, s in enumerate(model.stages)}
    df["_o"] = df["stage"].map(order)
    df = df.sort_values(["record_id", "entered_at", "_o"]).drop(columns="_o").reset_index(drop=True)
    return df[list(EVENT_COLUMNS)], {str(k): int(v) for k, v in bad.items()}


def load_events(ws: Workspace, model: StageModel) -> StageEvents:
    """The stage events of a workspace from ``stage_history`` and the became-dates of ``contacts``."""
    parts: list[pd.DataFrame] = []
    used: list[str] = []
    if ws.has("stage_history"):
        h = ws.read("stage_history", columns=_HISTORY_COLS)
        if len(h):
            parts.append(h)
            used.append("stage_history")
    # a warehouse made before the became-date columns existed gains them on its next writable open
    if ws.has("contacts") and set(_CONTACT_COLS) <= set(ws.read("contacts", where="1 = 0").columns):
        c = ws.read("contacts", columns=_CONTACT_COLS,
                    where=" OR ".join(f'"became_{s}_at" IS NOT NULL' for s in BECAME_STAGES))
        if len(c):
            parts.append(from_contacts(c))
            used.append("contacts")
    raw = pd.concat([p for p in parts if len(p)], ignore_index=True) if parts else _empty()
    frame, dropped = normalise(raw, model)
    return StageEvents(frame, dropped, tuple(used))


def until(events: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """The events as known at ``as_of``: later entries dropped, later contacts and their feedback blanked."""
    e = events[events["entered_at"] <= pd.Timestamp(as_of)].copy()
    late = e["contacted_at"] > pd.Timestamp(as_of)
    e.loc[late, ["contacted_at"]] = pd.NaT
    e.loc[late, ["feedback", "feedback_reason"]] = None
    return e.reset_index(drop=True)


def first_entries(events: pd.DataFrame, model: StageModel) -> pd.DataFrame:
    """record_id × stage → the first time the person entered the stage (NaT when never), stage order."""
    if events.empty:
        return pd.DataFrame(columns=list(model.stages), dtype="datetime64[ns]")
    wide = events.groupby(["record_id", "stage"])["entered_at"].min().unstack("stage")
    return wide.reindex(columns=list(model.stages)).astype("datetime64[ns]")


def person_channels(events: pd.DataFrame) -> pd.Series:
    """record_id → the lead's source channel: the first non-empty channel of the person's history."""
    e = events[events["channel"].notna() & (events["channel"].astype(str).str.strip() != "")]
    return e.sort_values("entered_at").groupby("record_id")["channel"].first().astype(str)
