"""Several sliding-window limits in one storage round trip.

A lookup checks four limits: the address's budget, then the NIK's budget, its
ceiling and the address's captcha quota, spent all or none (``take_all``).
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
#: Count a hit only if every ``TAKE`` step of the list allows one: all or none
#: (``take_all``), after the other steps before them.
TAKE = 4


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
# TAKE steps are checked in the loop and counted after it, all or none.
_SCRIPT = (
    """
local results, take_ok = {}, true
for i = 1, #KEYS / 2 do
  local op = tonumber(ARGV[3 * i - 2])"""
    + _WINDOW
    + """
  local ok
  if op == 3 then
    ok = prev_count * prev_ttl / expiry + cur_count < limit
  else
    ok = 1 <= limit and math.floor(prev_count * prev_ttl / expiry) + cur_count + 1 <= limit
    if ok and op ~= 4 then"""
    + _COUNT_ONE
    + """
    end
  end
  results[i] = ok and 1 or 0
  if op == 4 then
    take_ok = take_ok and ok
  end
  if op == 1 and not ok then
    return results
  end
end
if take_ok then
  for i = 1, #KEYS / 2 do
    if tonumber(ARGV[3 * i - 2]) == 4 then
      local cur, expiry = KEYS[2 * i], tonumber(ARGV[3 * i]) * 1000"""
    + _COUNT_ONE
    + """
    end
  end
end
return results
"""
)

#: On an in-process storage a check and a count are two calls: one lock
#: makes a list of steps atomic (the storage lives in this process).
_LOCK = threading.Lock()


def run(strategy: RateLimiter, steps: list[Step]) -> list[bool]:
    """Run ``steps`` in order; one answer per step run (a refused
    ``HIT_OR_STOP`` is the last answer, and no ``TAKE`` step is counted)."""
    storage = strategy.storage
    # Not on a Redis cluster: one script's keys must share a hash slot there.
    one_server = type(storage) in (RedisStorage, RedisSentinelStorage)
    if one_server and isinstance(strategy, SlidingWindowCounterRateLimiter):
        return _run_redis(storage, steps)
    answers, takes = [], []
    with _LOCK:
        for step in steps:
            if step.op in (PEEK, TAKE):
                ok = strategy.test(step.item, *step.identifiers)
            else:
                ok = strategy.hit(step.item, *step.identifiers)
            answers.append(ok)
            if step.op == HIT_OR_STOP and not ok:
                return answers
            if step.op == TAKE:
                takes.append((step, ok))
        if takes and all(ok for _, ok in takes):
            for step, _ in takes:
                strategy.hit(step.item, *step.identifiers)
    return answers


def take_all(strategy: RateLimiter, steps: list[Step], *, first: list[Step] = ()) -> list[bool]:
    """Count one hit in every step's limit if all of them allow it, else in
    none: one atomic check-and-spend (the ``op`` of each step is ignored).
    ``first``: steps run before them in the same round trip (the request's
    address limit); a refused ``HIT_OR_STOP`` among them stops there. One
    answer per step run: whether its limit allowed one more.

    Atomic on a single Redis (one script) and in memory (one lock). A Redis
    cluster takes the steps one by one, so parallel requests there may each
    pass the test before either spends."""
    return run(strategy, [*first, *(Step(TAKE, s.item, s.identifiers) for s in steps)])


def _run_redis(storage: RedisStorage, steps: list[Step]) -> list[bool]:
    keys, args = [], []
    for step in steps:
        key = step.item.key_for(*step.identifiers)
        keys.append(storage.prefixed_key(storage._previous_window_key(key)))
        keys.append(storage.prefixed_key(storage._current_window_key(key)))
        args.extend((step.op, step.item.amount, step.item.get_expiry()))
    scripts = storage.__dict__.setdefault("portal_scripts", {})
    script = scripts.get(_SCRIPT)
    if script is None:
        script = scripts[_SCRIPT] = storage.get_connection().register_script(_SCRIPT)
    try:
        return [bool(r) for r in script(keys, args)]
    except storage.base_exceptions as exc:
        if storage.wrap_exceptions:
            raise StorageError(exc) from exc
        raise
