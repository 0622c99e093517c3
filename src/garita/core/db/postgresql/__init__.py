"""Django's PostgreSQL backend without a health-check round trip on every busy request.

Selected by settings when DATABASE_URL is PostgreSQL; see `base.DatabaseWrapper`.
"""
