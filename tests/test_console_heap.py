"""The console's collector: never in the way of a keypress, never letting garbage pile up."""

from __future__ import annotations

import gc
import weakref

import pytest

from omni_tui.tui import heap
from omni_tui.tui.heap import Sweeper


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_sweeper_collects_in_a_quiet_moment_and_at_the_latest_after_two_minutes() -> None:
    clock = Clock()
    sweeper = Sweeper(every=30, idle=1, at_latest=120, clock=clock)
    clock.now += 10
    assert not sweeper.tick(idle_for=60)  # too soon after the last sweep
    clock.now += 25
    assert not sweeper.tick(idle_for=0.2)  # the agent is typing: later
    assert sweeper.tick(idle_for=1.5)  # they stopped: now
    clock.now += 40
    assert not sweeper.tick(idle_for=0.1)
    clock.now += 90
    assert sweeper.tick(idle_for=0.1)  # typing for two minutes: swept anyway


def test_the_sweeper_frees_cycles_the_collector_leaves_to_it() -> None:
    heap.settle_heap()
    assert gc.isenabled()
    assert gc.get_threshold() == (*heap.YOUNG_THRESHOLDS, heap.NEVER)

    class Node:
        def __init__(self) -> None:
            self.me = self

    def old_nodes() -> int:
        return sum(isinstance(o, Node) for o in gc.get_objects(generation=2))

    node = Node()
    gc.collect(1)  # survived a young collection: old now
    assert old_nodes() == 1
    del node
    gc.collect(1)  # what the collector does by itself: the old cycle stays
    assert old_nodes() == 1
    clock = Clock()
    sweeper = Sweeper(every=30, clock=clock)
    clock.now += 31
    assert sweeper.tick(idle_for=5)
    assert old_nodes() == 0


def test_settling_puts_the_start_up_heap_aside_at_once_and_the_first_sweep_frees_its_garbage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_settled", False)
    monkeypatch.setattr(heap, "_startup_swept", False)

    class StartupLeftover:
        def __init__(self) -> None:
            self.me = self

    heap.hold_collector()
    leftover = weakref.ref(StartupLeftover())  # garbage the start-up left behind
    heap.settle_heap()
    assert gc.isenabled() and gc.get_freeze_count() > 0
    gc.collect()  # the collector by itself never reaches the frozen start-up heap
    assert leftover() is not None
    clock = Clock()
    sweeper = Sweeper(every=30, clock=clock)
    clock.now += 31
    assert sweeper.tick(idle_for=5)  # the agent paused: the start-up heap is swept once
    assert leftover() is None and gc.get_freeze_count() > 0
