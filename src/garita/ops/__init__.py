"""Operations: database-outage handling, backup and restore, and fault-drill helpers.

Nothing here changes domain data on its own; it keeps Garita answering cleanly on a bad day.
"""
