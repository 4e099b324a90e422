"""The parts of ``examples/benchmark.py``, one job per module: ``system`` (the process and the
machine), ``stats`` (medians, chunks, paired ratios), ``implementations`` (the data and what
trains on it), ``training`` (the interleaved rounds, in this process or a child), ``scalar``,
``chain``, ``micro`` and ``memory`` (the other measurements), ``targets`` (PASS, MISS or
UNTRUSTED) and ``report`` (what is printed). ``benchmark.py`` holds the options and ``main``."""
