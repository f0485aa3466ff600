"""Tests of the analyzer: indexing, imports, history and ranking, on tiny real git repositories."""
