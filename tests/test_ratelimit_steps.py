"""``portal.ratelimit_steps``: one Redis round trip leaves the counts that
``limits``' own calls would, on the same keys, and memory storage takes the
same steps one by one."""

from __future__ import annotations

import secrets
import time

import pytest
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from portal.ratelimit_steps import HIT, HIT_OR_STOP, PEEK, Step, run, take_all
from tests.conftest import REDIS_URL
from tests.live_server import free_port


@pytest.fixture(params=["redis", "memory"])
def strategy(request):
    if request.param == "redis":
        request.getfixturevalue("needs_redis")
        storage = RedisStorage(REDIS_URL, key_prefix=f"steps{secrets.token_hex(4)}")
        yield SlidingWindowCounterRateLimiter(storage)
        storage.reset()
    else:
        yield SlidingWindowCounterRateLimiter(MemoryStorage())


def _step(op, text="3 per minute", who="a"):
    return Step(op, parse(text), ("test", who))


def test_hits_are_counted_until_the_limit_then_refused(strategy):
    three = parse("3 per minute")
    assert [run(strategy, [_step(HIT_OR_STOP)]) for _ in range(4)] == [[True]] * 3 + [[False]]
    # limits' own calls read the same counters
    assert strategy.get_window_stats(three, "test", "a").remaining == 0
    assert not strategy.test(three, "test", "a")
    assert strategy.test(three, "test", "b")


def test_counts_are_shared_with_limits_own_hits(strategy):
    three = parse("3 per minute")
    assert strategy.hit(three, "test", "a")
    assert strategy.hit(three, "test", "a")
    assert run(strategy, [_step(PEEK)]) == [True]
    assert run(strategy, [_step(HIT)]) == [True]
    assert run(strategy, [_step(PEEK)]) == [False]
    assert not strategy.hit(three, "test", "a")


def test_a_refused_hit_or_stop_ends_the_list(strategy):
    one = parse("1 per minute")
    assert strategy.hit(one, "test", "a")
    steps = [_step(HIT_OR_STOP, "1 per minute"), _step(HIT, who="quota")]
    assert run(strategy, steps) == [False]
    assert strategy.get_window_stats(parse("3 per minute"), "test", "quota").remaining == 3


def test_take_steps_after_the_address_count_all_or_none(strategy):
    """``take_all(..., first=[address])``: the address first (a refusal stops
    there, nothing taken); then every taken limit counts, or none does."""
    address = _step(HIT_OR_STOP, "3 per minute", who="address")
    takes = [_step(HIT, "1 per minute", who="nik"), _step(HIT, "5 per minute", who="quota")]
    assert take_all(strategy, takes, first=[address]) == [True, True, True]
    assert take_all(strategy, takes, first=[address]) == [True, False, True]  # the NIK's spent
    assert take_all(strategy, takes[1:], first=[address]) == [True, True]
    assert take_all(strategy, takes, first=[address]) == [False]  # the address is spent
    remaining = strategy.get_window_stats
    assert remaining(parse("3 per minute"), "test", "address").remaining == 0
    assert remaining(parse("1 per minute"), "test", "nik").remaining == 0
    # counted by the first and the third call only (the second took none)
    assert remaining(parse("5 per minute"), "test", "quota").remaining == 3


def test_a_refused_plain_hit_counts_nothing_and_goes_on(strategy):
    steps = [_step(HIT, "1 per minute"), _step(HIT_OR_STOP, who="b")]
    assert run(strategy, steps) == [True, True]
    assert run(strategy, steps) == [False, True]
    assert strategy.get_window_stats(parse("1 per minute"), "test", "a").remaining == 0
    assert strategy.get_window_stats(parse("3 per minute"), "test", "b").remaining == 1


def test_peek_changes_nothing(strategy):
    for _ in range(5):
        assert run(strategy, [_step(PEEK)]) == [True]
    assert strategy.get_window_stats(parse("3 per minute"), "test", "a").remaining == 3


def test_an_expired_budget_starts_afresh(strategy):
    two = parse("2 per 1 second")
    assert run(strategy, [_step(HIT_OR_STOP, "2 per 1 second")] * 2) == [True, True]
    assert run(strategy, [_step(HIT_OR_STOP, "2 per 1 second")]) == [False]
    time.sleep(2.1)  # both windows over: a fresh budget
    assert run(strategy, [_step(HIT_OR_STOP, "2 per 1 second")]) == [True]
    assert strategy.get_window_stats(two, "test", "a").remaining == 1


def test_a_dead_redis_raises_the_storage_error_the_503_handler_expects():
    storage = RedisStorage(
        f"redis://127.0.0.1:{free_port()}/0", wrap_exceptions=True, socket_connect_timeout=1
    )
    with pytest.raises(StorageError):
        run(SlidingWindowCounterRateLimiter(storage), [_step(HIT_OR_STOP)])


# Side by side with limits' own scripts, on crafted window states ---------------
# (previous count, its ms to live, current count, its ms to live) for a
# 5-per-10-seconds limit; None: no key, -1: a key without expiry.
STATES = [
    (None, None, None, None),  # nothing yet
    (None, None, 3, 15_000),  # current window only
    (9, 3_000, 2, 4_000),  # current window over: shifted to previous
    (4, 6_000, 2, 15_000),  # previous weighs 0.6: 2.4 -> 2, +2 +1 = 5 allowed
    (5, 9_000, 0, 15_000),  # 4.5: a hit allowed (floor), a peek too (4.5 < 5)
    (5, 9_990, 1, 15_000),  # 4.995 + 1: a hit refused, a peek says no
    (None, None, 2, -1),  # a current key without expiry: never shifted
    (3, -1, 1, 15_000),  # a previous key without expiry weighs nothing
    (None, None, 5, 15_000),  # spent
]


def _set(client, key: str, count, ttl) -> None:
    if count is None:
        client.delete(key)
    elif ttl == -1:
        client.set(key, count)
    else:
        client.set(key, count, px=ttl)


def _state(client, key: str) -> tuple:
    return client.get(key), client.pttl(key)


@pytest.mark.parametrize("op", [HIT_OR_STOP, HIT, PEEK])
@pytest.mark.parametrize("state", STATES)
def test_the_script_does_what_limits_does(needs_redis, state, op):
    storage = RedisStorage(REDIS_URL, key_prefix=f"steps{secrets.token_hex(4)}")
    theirs, client = SlidingWindowCounterRateLimiter(storage), storage.get_connection()
    item = parse("5 per 10 seconds")
    try:
        keys = {}
        for who in ("limits", "ours"):
            key = item.key_for("test", who)
            keys[who] = [
                storage.prefixed_key(storage._previous_window_key(key)),
                storage.prefixed_key(storage._current_window_key(key)),
            ]
            _set(client, keys[who][0], *state[:2])
            _set(client, keys[who][1], *state[2:])
        if op == PEEK:
            expected = theirs.test(item, "test", "limits")
        else:
            expected = theirs.hit(item, "test", "limits")
        assert run(theirs, [Step(op, item, ("test", "ours"))]) == [expected]
        for mine, reference in zip(keys["ours"], keys["limits"], strict=True):
            (count, ttl), (ref_count, ref_ttl) = _state(client, mine), _state(client, reference)
            assert count == ref_count
            assert ttl == ref_ttl if ref_ttl < 0 else abs(ttl - ref_ttl) < 100
    finally:
        storage.reset()
