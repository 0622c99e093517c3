"""Garita's database backends: Django's own, with the few changes Garita needs.

Each is a thin subclass, so `connection.vendor`, migrations, introspection and test database
creation stay Django's.
"""
