"""Benchmarks with their own command (`make bench`, i.e. `python -m bench`); never part of the test suite.

Each benchmark builds its own disposable PostgreSQL database through the real migrations, measures the real
services, and returns rows for the one table `python -m bench` prints.
"""
