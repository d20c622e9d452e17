"""Marshmallow schemas of the REST API; load and dump schemas are kept apart."""
