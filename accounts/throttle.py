"""A small fixed-window rate limiter over Django's cache, for any app:

    from accounts import throttle

    if not throttle.hit(f"invite:user:{user.pk}", limit=10, period=3600):
        ...  # refuse: more than 10 in the hour

Each `hit` counts one event under `key`; the window starts with the first
event and lasts `period` seconds. Keys are hashed, so e-mail addresses and
other personal data never appear in the cache as such.

The count lives in the default cache (settings.CACHES). With the local-memory
cache every worker process counts for itself; a shared cache (Redis,
Memcached) makes the limits hold across processes and hosts.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

PREFIX = "throttle:"


def _cache_key(key: str) -> str:
    return PREFIX + hashlib.sha256(key.encode()).hexdigest()


def hit(key: str, limit: int, period: int) -> bool:
    """Count one event; True while at most `limit` events fell into the
    current window (this one included), False once it goes over."""
    cache_key = _cache_key(key)
    # add() starts the window only if none is running; incr() is atomic in
    # the cache backends Django ships (local memory, Redis, Memcached).
    cache.add(cache_key, 0, timeout=period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window ran out between add() and incr()
        cache.set(cache_key, 1, timeout=period)
        count = 1
    return count <= limit


def count(key: str) -> int:
    """Events counted in the current window, without counting one."""
    return int(cache.get(_cache_key(key), 0))


def reset(key: str) -> None:
    cache.delete(_cache_key(key))
