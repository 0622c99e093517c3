"""Pre-aggregated case statistics (the cube) and the version counter that invalidates them.

A CubeCell is a sum over cases sharing every dimension value; it never holds a person's
identity. StatsState has one row: `version` rises on every write other apps report, and
the cube was built from data at `built_version`.
"""

from __future__ import annotations

from django.db import models


class StatsState(models.Model):
    version = models.BigIntegerField(default=0)
    built_version = models.BigIntegerField(default=-1)
    built_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = "statistics state"

    def __str__(self) -> str:
        return f"statistics v{self.version} (cube v{self.built_version})"


class DailyDecisions(models.Model):
    """Completed cases per court and local day over the last DAILY_WINDOW_DAYS: the pace
    the decision forecast draws from (rebuilt with the cube)."""

    court_id = models.IntegerField(null=True)
    day = models.DateField()
    decided = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["court_id", "day"])]

    def __str__(self) -> str:
        return f"{self.court_id} {self.day}: {self.decided}"


class CubeCell(models.Model):
    """Counts of cases with one combination of dimension values (ids, not foreign keys:
    the cube is rebuilt wholesale and must not pin reference rows)."""

    port_id = models.IntegerField(null=True)
    court_id = models.IntegerField(null=True)
    location_id = models.IntegerField(null=True)
    nationality = models.CharField(max_length=3, blank=True)
    represented = models.BooleanField(default=False)
    outcome = models.CharField(max_length=24)
    nta_month = models.DateField(null=True)
    decision_month = models.DateField(null=True)
    cases = models.IntegerField(default=0)
    heard = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)
    nta_known = models.IntegerField(default=0)
    sum_nta_day = models.BigIntegerField(default=0)
    sum_decided_day = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.outcome}: {self.cases}"
