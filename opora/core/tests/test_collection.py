"""The collector's pause: nested and across threads it resumes once, after the last pause, and only if it
was running before the first."""

import gc
import threading

import pytest

from opora.core.collection import gc_paused, with_gc_paused


@pytest.fixture(autouse=True)
def _collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_it_pauses_the_collector_and_resumes_it():
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_nested_pause_leaves_the_outer_one_in_force():
    gc.enable()
    with gc_paused():
        with gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_leaves_a_collector_stopped_before_it_stopped():
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_it_resumes_after_an_error():
    gc.enable()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_the_pauses_of_two_threads_end_with_the_last():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # this thread's pause ended, the other's has not
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_the_decorator_pauses_around_the_call():
    gc.enable()
    seen = with_gc_paused(gc.isenabled)()
    assert seen is False
    assert gc.isenabled()
