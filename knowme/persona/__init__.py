"""Knowing the person: the daily digest, standing preferences and rules, feedback and the re-ranker it trains."""
