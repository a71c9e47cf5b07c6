"""The background Loop: a loop with work to finish gets its grace; one without is killed."""
import gevent

from store.backoff import Backoff
from store.loop import Loop


class Finisher(Loop):
    """Waits for the stop, then takes `work` seconds to finish."""

    def __init__(self, work: float):
        self.work = work
        self.finished = False

    def _run(self) -> None:
        while not self.stopping:
            self._wait_stop(None)
        gevent.sleep(self.work)
        self.finished = True


def test_a_loop_that_ends_within_its_grace_finishes_its_work():
    loop = Finisher(work=0.001)
    loop.start()
    gevent.sleep(0)
    assert loop.stop(grace=5) is True
    assert loop.finished


def test_a_loop_that_overruns_its_grace_is_killed():
    loop = Finisher(work=60)
    loop.start()
    gevent.sleep(0)
    assert loop.stop(grace=0.01) is False
    assert not loop.finished


def test_a_stopped_loop_starts_anew():
    loop = Finisher(work=0)
    loop.start()
    loop.stop()
    loop.start()
    assert not loop.stopping
    assert loop.stop(grace=5) is True


def test_backoff_doubles_up_to_the_cap_with_jitter_and_resets():
    backoff = Backoff(first=0.5, cap=4.0, jitter=0.5, random=lambda: 1.0)
    assert [backoff.next() for _ in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    backoff.reset()
    assert backoff.next() == 0.25
    assert Backoff(first=1.0, jitter=0.0).next() == 1.0
