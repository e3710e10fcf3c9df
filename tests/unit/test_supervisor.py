"""`registry serve --workers N` without processes: each worker's share of the replica's settings, and the
worker count's validation (the processes: tests/e2e/test_serve_workers.py)."""

from __future__ import annotations

import pytest

from registry.cli import main
from registry.settings import Settings
from registry.supervisor import worker_settings


def test_each_worker_gets_its_share_of_generators_and_connections_and_only_the_first_mirrors() -> None:
    replica = Settings(codegen_workers=4, pool_size=10, mirror_worker=True)
    shares = [worker_settings(replica, number=number, count=2) for number in (1, 2)]
    assert [(s.codegen_workers, s.pool_size, s.mirror_worker) for s in shares] == [
        (2, 5, True),
        (2, 5, False),
    ]


def test_every_worker_gets_at_least_one_generator_and_connection() -> None:
    replica = Settings(codegen_workers=2, pool_size=3)
    shares = [worker_settings(replica, number=number, count=4) for number in range(1, 5)]
    assert {(s.codegen_workers, s.pool_size) for s in shares} == {(1, 1)}


def test_no_worker_mirrors_when_the_replica_does_not() -> None:
    replica = Settings(mirror_worker=False)
    assert not any(worker_settings(replica, number=n, count=3).mirror_worker for n in (1, 2, 3))


@pytest.mark.parametrize("count", ["0", "-2", "two"])
def test_a_worker_count_below_one_is_refused(count: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--workers", count])
    assert exited.value.code == 2
    assert f"--workers: a whole number of 1 or more, not '{count}'" in capsys.readouterr().err
