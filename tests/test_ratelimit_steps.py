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

from portal.ratelimit_steps import HIT, HIT_OR_STOP, PEEK, Step, run
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


def test_the_window_slides_as_limits_slides_it(strategy):
    """Past one window the previous count weighs by the time left of it."""
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
