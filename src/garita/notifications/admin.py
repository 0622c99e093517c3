"""Admin for the outbox (read-mostly: operators look at delivery, they do not write rows)."""

from django.contrib import admin

from garita.notifications.models import Notification, OptOut, StaffContact


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("pk", "event", "recipient_kind", "channel", "status", "attempts",
                    "send_after", "sent_at", "delivery_status")
    list_filter = ("status", "channel", "event", "recipient_kind")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = list(super().get_fields(request, obj))
        if obj is not None and obj.waitlist_group_id is not None:
            fields.remove("body")  # it holds the group's PIN: not for operators' eyes
        return fields


admin.site.register(OptOut)
admin.site.register(StaffContact)
