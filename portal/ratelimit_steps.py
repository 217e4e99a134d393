"""Several sliding-window limits in one storage round trip.

A lookup checks four limits: the address's budget and its captcha quota
before the form is read, then the NIK's budget and the quota again after it.
Through ``limits``' own calls each is a separate Redis round trip (an
``EVALSHA`` and the client's Python around it, about 0.1 ms of server CPU and
a network wait each). ``run`` sends a whole list of steps as one Lua script
that does, key for key, what ``limits``' sliding-window scripts do, on the
same keys: ``test``, ``get_window_stats``, ``clear`` and ``reset`` of the
``limits`` library keep working on them, and the counts are exactly the ones
separate calls would leave.

Other storages (memory in development and tests, a Redis cluster, whose
scripts may only touch keys of one hash slot) and other strategies take the
steps one by one through the ``limits`` strategy. A single Redis endpoint that
is really a cluster behind a proxy would refuse the script (``CROSSSLOT``) and
every limited request would get the fail-closed 503: deploy a plain Redis, or
a Sentinel set, or name the cluster as such in ``RATELIMIT_STORAGE_URI``.

The script copies ``limits`` 5.8's and uses its private key names
(``_previous_window_key``); ``tests/test_ratelimit_steps.py`` runs both side by
side on the same key states, so an upgrade that changes either fails there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import RedisSentinelStorage, RedisStorage
from limits.strategies import RateLimiter, SlidingWindowCounterRateLimiter

#: Count a hit; if it is refused, stop: later steps are not run.
HIT_OR_STOP = 1
#: Count a hit if the limit allows it; carry on either way.
HIT = 2
#: Only ask whether one more hit would be allowed (``limits``' ``test``).
PEEK = 3


@dataclass(frozen=True)
class Step:
    op: int
    item: RateLimitItem
    identifiers: tuple[str, ...]


# For each step i: KEYS[2i-1] previous window, KEYS[2i] current window;
# ARGV[3i-2..3i] op, limit, expiry in seconds. Returns one 0/1 per step run.
# The window shift and the weighted count are those of limits 5.x's
# acquire_sliding_window.lua and sliding_window.lua (times in milliseconds).
# Step i's window (both scripts): shift it when due, then read the counts.
_WINDOW = """
  local prev, cur = KEYS[2 * i - 1], KEYS[2 * i]
  local limit = tonumber(ARGV[3 * i - 1])
  local expiry = tonumber(ARGV[3 * i]) * 1000
  local cur_ttl = tonumber(redis.call('pttl', cur))
  if cur_ttl > 0 and cur_ttl < expiry then
    redis.call('rename', cur, prev)
    redis.call('set', cur, 0, 'PX', cur_ttl + expiry)
  end
  local prev_count = tonumber(redis.call('get', prev)) or 0
  local prev_ttl = math.max(tonumber(redis.call('pttl', prev)) or 0, 0)
  local cur_count = tonumber(redis.call('get', cur)) or 0
"""
# Count one hit in step i's current window (``cur`` and ``expiry`` as above).
_COUNT_ONE = """
      if redis.call('exists', cur) == 1 then
        redis.call('incrby', cur, 1)
      else
        redis.call('set', cur, 1, 'PX', expiry * 2)
      end
"""
_SCRIPT = (
    """
local results = {}
for i = 1, #KEYS / 2 do
  local op = tonumber(ARGV[3 * i - 2])"""
    + _WINDOW
    + """
  local ok
  if op == 3 then
    ok = prev_count * prev_ttl / expiry + cur_count < limit
  else
    ok = 1 <= limit and math.floor(prev_count * prev_ttl / expiry) + cur_count + 1 <= limit
    if ok then"""
    + _COUNT_ONE
    + """
    end
  end
  results[i] = ok and 1 or 0
  if op == 1 and not ok then
    return results
  end
end
return results
"""
)


def run(strategy: RateLimiter, steps: list[Step]) -> list[bool]:
    """Run ``steps`` in order; one answer per step run (a refused
    ``HIT_OR_STOP`` is the last answer)."""
    storage = strategy.storage
    # Not on a Redis cluster: one script's keys must share a hash slot there.
    one_server = type(storage) in (RedisStorage, RedisSentinelStorage)
    if one_server and isinstance(strategy, SlidingWindowCounterRateLimiter):
        return _run_redis(storage, steps)
    answers = []
    for step in steps:
        if step.op == PEEK:
            ok = strategy.test(step.item, *step.identifiers)
        else:
            ok = strategy.hit(step.item, *step.identifiers)
        answers.append(ok)
        if step.op == HIT_OR_STOP and not ok:
            break
    return answers


# take_all: the same window shift and count as _SCRIPT's HIT, but every key is
# counted only when every limit allows one more; one 0/1 per step.
_TAKE_SCRIPT = (
    """
local results, all_ok = {}, true
for i = 1, #KEYS / 2 do"""
    + _WINDOW
    + """
  local ok = 1 <= limit and math.floor(prev_count * prev_ttl / expiry) + cur_count + 1 <= limit
  results[i] = ok and 1 or 0
  all_ok = all_ok and ok
end
if all_ok then
  for i = 1, #KEYS / 2 do
    local cur, expiry = KEYS[2 * i], tonumber(ARGV[3 * i]) * 1000"""
    + _COUNT_ONE
    + """
  end
end
return results
"""
)

#: take_all on an in-process storage: a test and then a hit are two steps.
_TAKE_LOCK = threading.Lock()


def take_all(strategy: RateLimiter, steps: list[Step]) -> list[bool]:
    """Count one hit in every step's limit if all of them allow it, else in
    none: one atomic check-and-spend (the ``op`` of each step is ignored).
    One answer per step: whether its limit allowed one more.

    Atomic on a single Redis (one script) and in memory (one lock: the
    storage lives in this process). A Redis cluster takes the steps one by
    one, so parallel requests there may each pass the test before either
    spends."""
    storage = strategy.storage
    one_server = type(storage) in (RedisStorage, RedisSentinelStorage)
    if one_server and isinstance(strategy, SlidingWindowCounterRateLimiter):
        return _run_redis(storage, steps, script_source=_TAKE_SCRIPT)
    with _TAKE_LOCK:
        answers = [strategy.test(s.item, *s.identifiers) for s in steps]
        if all(answers):
            answers = [strategy.hit(s.item, *s.identifiers) for s in steps]
    return answers


def _run_redis(
    storage: RedisStorage, steps: list[Step], script_source: str = _SCRIPT
) -> list[bool]:
    keys, args = [], []
    for step in steps:
        key = step.item.key_for(*step.identifiers)
        keys.append(storage.prefixed_key(storage._previous_window_key(key)))
        keys.append(storage.prefixed_key(storage._current_window_key(key)))
        args.extend((step.op, step.item.amount, step.item.get_expiry()))
    scripts = storage.__dict__.setdefault("portal_scripts", {})
    script = scripts.get(script_source)
    if script is None:
        script = scripts[script_source] = storage.get_connection().register_script(script_source)
    try:
        return [bool(r) for r in script(keys, args)]
    except storage.base_exceptions as exc:
        if storage.wrap_exceptions:
            raise StorageError(exc) from exc
        raise
