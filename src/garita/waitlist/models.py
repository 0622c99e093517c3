"""Waitlist storage: one Waitlist row per port (the lock every write takes), groups and
their members, day capacities, calls, draws, and the port's append-only log.

Log rows (LogEvent) are the entries themselves; LogTile holds the tlog-tiles hashes and
Checkpoint the signed tree heads. Names live only in GroupMember, never in the log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from garita.waitlist.domain import Policy


class Waitlist(models.Model):
    port = models.OneToOneField("core.Port", on_delete=models.PROTECT, related_name="waitlist",
                                verbose_name=_("port"))
    is_open = models.BooleanField(_("open"), default=True)
    policy = models.CharField(_("allocation policy"), max_length=8, default=Policy.FCFS,
                              choices=[(Policy.FCFS, _("Strict first come, first served")),
                                       (Policy.FILL, _("Fill with smaller groups")),
                                       (Policy.DRAW, _("Longest registered share and a draw"))])
    grace_minutes = models.PositiveSmallIntegerField(_("grace period (minutes)"), default=20)
    draw_longest_share = models.FloatField(_("share for the longest registered"), default=0.5)
    next_number = models.PositiveIntegerField(default=1)
    log_size = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("waitlist")
        verbose_name_plural = _("waitlists")

    def __str__(self) -> str:
        return str(self.port)


class GroupStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    PRESENT = "present", _("Present")
    REMOVED = "removed", _("Removed")


class Group(models.Model):
    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="groups")
    number = models.PositiveIntegerField(_("number"))
    size = models.PositiveSmallIntegerField(_("persons"))
    status = models.CharField(_("status"), max_length=8, choices=GroupStatus.choices,
                              default=GroupStatus.WAITING)
    # 0 = head of the next call (a no-show sent back once), 1 = normal order by number.
    priority = models.PositiveSmallIntegerField(default=1)
    registered_at = models.DateTimeField(_("registered at"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    call = models.ForeignKey("Call", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="groups")
    present_at = models.DateTimeField(null=True, blank=True)
    no_shows = models.PositiveSmallIntegerField(default=0)
    removed_reason = models.CharField(_("reason for removal"), max_length=200, blank=True)
    pin_digest = models.CharField(max_length=64)
    identity_salt = models.CharField(max_length=32)
    commitment = models.CharField(max_length=64)
    contact = models.CharField(_("contact"), max_length=120, blank=True)
    # The contact agreed to receive the number and PIN (and nothing else) by SMS.
    contact_sms_consent = models.BooleanField(_("agrees to SMS"), default=False)
    possible_duplicate_of = models.ForeignKey("self", null=True, blank=True,
                                              on_delete=models.SET_NULL, related_name="+")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["waitlist", "number"],
                                               name="waitlist_group_number_unique")]
        indexes = [models.Index(fields=["waitlist", "status", "priority", "number"],
                                name="waitlist_group_queue")]
        verbose_name = _("waiting group")

    def __str__(self) -> str:
        return f"{self.waitlist.port.slug} #{self.number}"


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    given_names = models.CharField(_("given names"), max_length=120)
    surnames = models.CharField(_("surnames"), max_length=120)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=3)
    languages = models.JSONField(_("languages"), default=list)

    class Meta:
        indexes = [models.Index(fields=["surnames", "given_names"], name="waitlist_member_name")]

    def __str__(self) -> str:
        return f"{self.given_names} {self.surnames}"


class DayCapacity(models.Model):
    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="capacities")
    day = models.DateField(_("day"))
    persons = models.PositiveIntegerField(_("capacity (persons)"))
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["waitlist", "day"],
                                               name="waitlist_capacity_day_unique")]

    def __str__(self) -> str:
        return f"{self.day}: {self.persons}"


class Call(models.Model):
    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="calls")
    day = models.DateField()
    at = models.DateTimeField()
    policy = models.CharField(max_length=8)
    capacity = models.PositiveIntegerField()
    persons = models.PositiveIntegerField()
    groups_count = models.PositiveIntegerField(default=0)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["waitlist", "day"], name="waitlist_call_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.policy} {self.persons}"


class DrawRound(models.Model):
    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="draws")
    day = models.DateField()
    seed_hash = models.CharField(max_length=64)
    # Kept secret (not shown) until revealed; the hash is public from the start.
    seed_hex = models.CharField(max_length=64)
    revealed = models.BooleanField(default=False)
    closes_at = models.DateTimeField()
    call = models.OneToOneField(Call, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["waitlist", "day"],
                                               name="waitlist_draw_day_unique")]

    def __str__(self) -> str:
        return f"draw {self.day}"


class DrawRequest(models.Model):
    round = models.ForeignKey(DrawRound, on_delete=models.CASCADE, related_name="requests")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "group"],
                                               name="waitlist_draw_request_unique")]

    def __str__(self) -> str:
        return f"request {self.group_id}"


class LogEvent(models.Model):
    """One log entry. Its bytes are recomputed from these fields (domain.entry_bytes)."""

    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="log")
    index = models.PositiveBigIntegerField()
    event = models.CharField(max_length=16)
    number = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    commitment = models.CharField(max_length=64, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["waitlist", "index"],
                                               name="waitlist_log_index_unique")]
        indexes = [models.Index(fields=["waitlist", "event", "at"], name="waitlist_log_event")]

    def __str__(self) -> str:
        return f"{self.index} {self.event}"


class LogTile(models.Model):
    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="tiles")
    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hashes = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["waitlist", "level", "index"],
                                               name="waitlist_tile_unique")]

    def __str__(self) -> str:
        return f"tile {self.level}/{self.index}"


class Checkpoint(models.Model):
    waitlist = models.ForeignKey(Waitlist, on_delete=models.PROTECT, related_name="checkpoints")
    size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    note = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["waitlist", "-size"], name="waitlist_checkpoint_size")]

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class PinCounter(models.Model):
    """Wrong-PIN counts of one key in its current window (garita.waitlist.services.check_pin).

    Keys: "pair:<port>:<number>:<client tag>", "client:<client tag>", "number:<port>:<number>"
    (a client tag is a hash of the address, never the address). Every attempt is counted
    here, with an atomic UPDATE, before its PIN is checked; a right PIN gives it back. One
    row per key, reused: a count at zero or whose window has ended starts a new window at
    one. Rows that count nothing any more are deleted by `services.prune_pin_counters`
    (run by `garita worker`).
    """

    key = models.CharField(max_length=120, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField()
    # Number keys only: no PIN for this number is checked before this time (the slowdown).
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["window_ends_at"], name="waitlist_pin_counter_ends")]

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
