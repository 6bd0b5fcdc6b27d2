"""The throttle's counters (dentalai.throttles): shared in the database, changed by
compare-and-set so two requests cannot both take the last try, counted in fixed windows, and
cleaned up once their window has ended. (The login and booking policies are tested through
their endpoints: tests/test_api_auth.py, tests/test_dashboard_login.py, tests/test_api_booking.py;
a burst across gunicorn workers in tests/test_web_server.py.)"""

import datetime as dt

import pytest
import time_machine

from dentalai.models import ThrottleCounter
from dentalai.throttles import Rate, counters_prune, take
from tests.concurrency import before_query, statement

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 3, 10, 12, 0, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text,rate",
    [
        ("5/15m", Rate(5, 900)),
        ("20/h", Rate(20, 3600)),
        ("0/d", Rate(0, 86400)),
        ("3/10sec", Rate(3, 10)),
        ("2/min", Rate(2, 60)),
    ],
)
def test_rates_read_like_the_settings_write_them(text, rate):
    assert Rate.parse(text) == rate


def test_two_tries_at_once_cannot_both_take_the_last_one():
    rate = Rate(2, 60)
    assert take("k", rate, now=NOON) is None
    others = []

    # Between this try's read of the count (1) and its update, another request takes the last.
    with before_query(
        statement("UPDATE", ThrottleCounter), lambda: others.append(take("k", rate, now=NOON))
    ):
        mine = take("k", rate, now=NOON)

    assert others == [None]  # the other request got it
    assert mine == pytest.approx(50)  # this one is refused, until the window ends
    assert ThrottleCounter.objects.get().count == 2


def test_a_window_ends_on_its_period_and_the_next_starts_empty():
    rate = Rate(1, 60)
    assert take("k", rate, now=NOON) is None
    assert take("k", rate, now=NOON + dt.timedelta(seconds=49)) == pytest.approx(1)

    assert take("k", rate, now=NOON + dt.timedelta(seconds=50)) is None


def test_ended_windows_are_pruned():
    with time_machine.travel(NOON, tick=False):
        take("old", Rate(1, 60))
    with time_machine.travel(NOON + dt.timedelta(hours=1), tick=False):
        take("new", Rate(1, 60))

        assert counters_prune() == {"deleted": 1}
        assert ThrottleCounter.objects.filter(key__startswith="throttle:new").exists()
