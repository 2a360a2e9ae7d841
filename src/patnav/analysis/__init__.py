"""Navigation analyses (GB/T 39551): trends and life cycle, players, geography, over a patent set.

Each module does one analysis, written once as portable SQL against :mod:`patnav.engine` (so it runs on DuckDB
and on Spark), and returns frozen dataclasses a report can render. Counts are exact integers from the engine;
shares, ratios and indices are computed here in Python from those integers, so every engine gives the same
figures to the last bit. Results carry codes (``"growth"``, ``"rising"``), never sentences: wording is the
report layer's job.
"""
