"""Timing shared by the benchmarks: routes timed in turns, so that each sees the same load."""

import statistics
import time


def paired_times(fns, repeat, number):
    """Median CPU time per call of each function, timed in turns (A, B, A, B …) so that
    every route sees the same load on a shared machine."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            start = time.process_time()
            for _ in range(number):
                fn()
            out.append((time.process_time() - start) / number)
    return [statistics.median(t) for t in times]
