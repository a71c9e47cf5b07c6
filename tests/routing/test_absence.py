"""Absences as the index keeps them (day-ordinal spans) answer like the file's dates."""
import datetime as dt

from hypothesis import given, strategies as st

from config.models import Absence
from routing.absence import absence_on, current_absence, spans

DAYS = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))


@st.composite
def absences(draw):
    start = draw(DAYS)
    end = draw(st.one_of(st.none(), st.integers(0, 30).map(lambda n: start + dt.timedelta(days=n))))
    return Absence.model_validate({"from": start, "to": end})


@given(st.lists(absences(), max_size=4), DAYS)
def test_spans_find_the_same_absence_as_the_dates(listed, day):
    assert absence_on(spans(listed), day.toordinal()) is current_absence(listed, day)
