"""The fast JSON-ready encoder of the patent page gives what FastAPI's encoder gives, for any nesting of the types
a record holds (the API's JSON and the page's values would differ otherwise)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fastapi.encoders import jsonable_encoder
from hypothesis import given
from hypothesis import strategies as st

from patnav.app.encode import plain

_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.times()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.binary(max_size=10).map(lambda b: b.hex().encode())
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(_values)
def test_plain_encodes_like_fastapi(value: object) -> None:
    assert plain(value) == jsonable_encoder(value)


def test_dates_become_iso_text() -> None:
    record = {"publication_date": dt.date(2015, 11, 9), "claims_count": Decimal("12"), "parties": ({"x": None},)}
    assert plain(record) == {"publication_date": "2015-11-09", "claims_count": 12, "parties": [{"x": None}]}
