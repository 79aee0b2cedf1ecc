"""Analyzer port, offline (spaCy) analyzer and, later, LLM analyzers."""
