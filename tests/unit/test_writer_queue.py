"""Tills of one server write one at a time, in the order they asked, instead of racing SQLite's busy handler."""
import threading
import time

from pos.db import WriterQueue


def _wait_until(condition, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_waiting_writers_get_their_turn_in_arrival_order():
    queue = WriterQueue()
    assert queue.acquire(1)
    served = []

    def till(name):
        assert queue.acquire(10)
        served.append(name)
        queue.release()

    threads = []
    for name in ("T1", "T2", "T3", "T4"):
        t = threading.Thread(target=till, args=(name,))
        t.start()
        threads.append(t)
        _wait_until(lambda: len(queue._waiting) == len(threads))  # this one is queued before the next comes
    queue.release()
    for t in threads:
        t.join(10)
    assert served == ["T1", "T2", "T3", "T4"]


def test_a_writer_that_waited_too_long_gives_up_and_leaves_the_queue():
    queue = WriterQueue()
    assert queue.acquire(1)
    results = []
    t = threading.Thread(target=lambda: results.append(queue.acquire(0.05)))
    t.start()
    t.join(10)
    assert results == [False] and not queue._waiting
    queue.release()
    assert queue.acquire(0.05)  # free again


def test_the_writer_holding_its_turn_may_enter_again():
    queue = WriterQueue()
    assert queue.acquire(1) and queue.acquire(1)
    queue.release()
    other = []
    t = threading.Thread(target=lambda: other.append(queue.acquire(0.05)))
    t.start()
    t.join(10)
    assert other == [False]  # still held once
    queue.release()
    assert queue.acquire(0.05)
