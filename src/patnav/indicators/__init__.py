"""Indicators: legal status and term, OECD patent-quality indicators, CNIPA high-value flags, industries, the KPI.

Every indicator is computed through the engine layer (the same SQL on DuckDB and Spark); every threshold, term
and concordance comes from a versioned, sourced rule file (:mod:`patnav.indicators.rules`), never a literal.
"""
