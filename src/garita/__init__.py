"""Garita: asylum processing at a land port of entry under MPP.

Apps follow the journey: intake -> screening -> hearings/notices -> hotline/notifications -> stats.
"""

__version__ = "0.1.0"
