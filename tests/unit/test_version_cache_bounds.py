"""The replica's cache of rendered versions is bounded by entries and by the bytes of their bodies."""

from __future__ import annotations

from registry.api.version_cache import VersionCache


def test_the_oldest_bodies_go_first_when_the_bytes_run_out() -> None:
    cache = VersionCache(ttl=60, max_bytes=2500)
    for number in (1, 2, 3):
        cache.put(("r", "s", number), b"x" * 1000, f'"{number}"')

    assert cache.get(("r", "s", 1)) is None
    assert cache.get(("r", "s", 2)) is not None and cache.get(("r", "s", 3)) is not None
    assert cache.size == 2000


def test_a_body_put_again_is_counted_once_and_a_clear_empties_the_count() -> None:
    cache = VersionCache(ttl=60, max_entries=10)
    cache.put(("r", "s", 1), b"x" * 100, '"a"')
    cache.put(("r", "s", 1), b"y" * 300, '"b"')

    assert cache.size == 300
    cache.clear()
    assert cache.size == 0 and cache.get(("r", "s", 1)) is None
