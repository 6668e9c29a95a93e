"""The time rules of ``access`` (issue 14 §2), pure: a read counts only inside the holding window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lineage_engine.access.aggregate import AccessRead
from lineage_engine.access.answer import PARTIAL_DAY, PARTIAL_RANGE, who_read
from lineage_engine.access.windows import Held, Holdings, micros

T = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def _holdings(arrive: datetime, leave: datetime | None) -> Holdings:
    copy = Held("db.m.c.email", micros(arrive), micros(leave) if leave else float("inf"),
                ("db.raw.t.email", "db.m.c.email"))
    origin = Held("db.raw.t.email", float("-inf"), float("inf"), ("db.raw.t.email",))
    return Holdings("db.raw.t.email", columns={c.object_id: c for c in (copy, origin)},
                    by_dataset={"db.m.c": [copy], "db.raw.t": [origin]})


def _read(object_id: str, first: datetime, last: datetime | None = None, reads: int = 1, who: str = "BOB",
          kind: str = "column") -> AccessRead:
    last = last or first
    return AccessRead(who, "ANALYST", kind, object_id, first.date().isoformat(), first, last, reads, "q-" + who,
                      ("q-" + who,), ())


def test_reads_before_arrival_or_after_leaving_do_not_count_and_the_instants_themselves_do() -> None:
    holdings = _holdings(T, T + 5 * H)
    assert who_read(holdings, [_read("db.m.c.email", T - H)]) == []  # before the copy got the data
    assert who_read(holdings, [_read("db.m.c.email", T + 6 * H)]) == []  # after it lost it
    at_arrival = who_read(holdings, [_read("db.m.c.email", T)])
    at_leave = who_read(holdings, [_read("db.m.c.email", T + 5 * H)])
    assert len(at_arrival) == 1 and len(at_leave) == 1 and at_arrival[0].note == ""  # same instant: counted


def test_a_day_straddling_the_arrival_counts_with_a_note_and_ranges_clip_the_same_way() -> None:
    holdings = _holdings(T, None)
    (row,) = who_read(holdings, [_read("db.m.c.email", T - 2 * H, T + 2 * H, reads=3)])
    assert row.reads == 3 and row.note == PARTIAL_DAY and row.path == ("db.raw.t.email", "db.m.c.email")
    (clipped,) = who_read(holdings, [_read("db.m.c.email", T + H, T + 3 * H)], since=T + 2 * H)
    assert clipped.note == PARTIAL_RANGE
    assert who_read(holdings, [_read("db.m.c.email", T + H)], until=T) == []


def test_star_reads_count_for_the_held_column_and_dataset_reads_do_not_for_a_column_origin() -> None:
    holdings = _holdings(T, None)
    rows = who_read(holdings, [_read("db.m.c.*", T + H), _read("db.m.c.email", T + 2 * H),
                               _read("db.raw.t", T + H, who="IVAN", kind="dataset"),  # COUNT(*): no column
                               _read("db.raw.t.id", T + H, who="IVAN")])  # another column of the origin's table
    assert [(r.principal, r.read, r.reads) for r in rows] == [("BOB", "db.m.c.email", 2)]
