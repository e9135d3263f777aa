"""The sliding-window pacer: a send holds its slot from start until a window after its
answer, sends are spread evenly, and a bot-wide 429 pauses everything. The clock is the
test's, so nothing sleeps and nothing depends on timing."""

from __future__ import annotations

import math

from bot.delivery.outbox import SendWindow, _bot_wide


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def chat(n: int) -> tuple[str, str]:
    return ("telegram", str(n))


def fill(window: SendWindow, clock: Clock, count: int, answer_after: float = 0.0) -> None:
    """Start ``count`` sends as fast as the spacing allows, each answered ``answer_after`` later."""
    for n in range(count):
        clock.now += window.delay()
        assert window.acquire() == 0
        clock.now += answer_after
        window.release(chat(n))
        clock.now -= answer_after


def test_a_send_may_start_at_once_when_nothing_was_sent() -> None:
    window = SendWindow(30, clock=Clock())
    assert window.acquire() == 0


def test_sends_are_spread_evenly_with_one_send_of_slack() -> None:
    clock = Clock()
    window = SendWindow(30, clock=clock)
    assert window.acquire() == 0
    assert window.acquire() == 0  # the slack: a late wake-up catches up by one
    assert math.isclose(window.acquire(), 1 / 30)
    clock.now += 1 / 30
    assert window.acquire() == 0
    assert math.isclose(window.acquire(), 1 / 30)


def test_the_limit_plus_one_waits_until_a_window_after_the_oldest_answer() -> None:
    clock = Clock()
    window = SendWindow(30, clock=clock)
    first = clock.now
    fill(window, clock, 30, answer_after=0.01)
    wait = window.delay()
    assert math.isclose(clock.now + wait, first + 0.01 + 1.0)
    clock.now += wait
    assert window.acquire() == 0


def test_an_entry_exactly_one_window_old_no_longer_counts() -> None:
    clock = Clock()
    window = SendWindow(2, clock=clock)
    window.acquire()
    window.release(chat(1))
    clock.now += 0.5
    window.acquire()
    window.release(chat(2))
    clock.now += 0.5
    assert window.delay() == 0  # the first answer is exactly 1.0 s old


def test_sends_still_waiting_for_their_answer_hold_their_slots_indefinitely() -> None:
    clock = Clock()
    window = SendWindow(3, clock=clock)
    for _ in range(3):
        clock.now += window.delay()
        assert window.acquire() == 0
    clock.now += 10  # a slow API: none has answered yet
    assert window.delay() == math.inf
    window.release(chat(1))
    assert math.isclose(window.delay(), 1.0)  # the slot frees a window after the answer


def test_no_window_of_answers_holds_more_than_the_limit() -> None:
    """Whatever the answer times, any window of length 1 s ending at an answer holds at most
    ``limit`` starts whose answer came after the window began: the platform's count."""
    clock = Clock()
    window = SendWindow(5, clock=clock)
    starts: list[tuple[float, float]] = []
    latencies = [0.3, 0.01, 0.2, 0.0, 0.5, 0.05, 0.4, 0.0, 0.1, 0.25] * 4
    pending: list[tuple[float, int, float]] = []  # (answer time, chat, start time)
    for n, latency in enumerate(latencies):
        while True:
            wait = window.delay()
            if wait == 0:
                break
            if pending and (wait == math.inf or pending[0][0] <= clock.now + wait):
                answered, who, started = pending.pop(0)
                clock.now = max(clock.now, answered)
                window.release(chat(who))
                starts.append((started, answered))
                continue
            clock.now += wait
        window.acquire()
        pending.append((clock.now + latency, n, clock.now))
        pending.sort()
    # Worst case for us: the platform counted each send at its answer time, or at its start.
    for counted in (lambda s: s[1], lambda s: s[0]):
        times = sorted(counted(s) for s in starts)
        for i, t in enumerate(times):
            assert sum(1 for u in times[i:] if u < t + 1.0) <= 5


def test_pause_holds_every_send_until_it_ends() -> None:
    clock = Clock()
    window = SendWindow(30, clock=clock)
    window.pause(3)
    assert math.isclose(window.delay(), 3)
    clock.now += 3
    assert window.acquire() == 0


def test_a_429_for_a_private_chat_sent_nothing_recently_is_bot_wide() -> None:
    clock = Clock()
    window = SendWindow(30, clock=clock)
    window.acquire()
    window.release(chat(1))
    assert not _bot_wide(window, chat(1))  # just sent to: may be its own per-chat limit
    assert _bot_wide(window, chat(2))
    assert not _bot_wide(window, ("telegram", "-100123"))  # groups have a per-minute limit too
    clock.now += 1.0
    assert _bot_wide(window, chat(1))
