"""Admin for the hotline: languages of the phone menu and their recorded prompts."""

from django.contrib import admin

from garita.hotline.models import HotlineLanguage, PromptRecording


class PromptRecordingInline(admin.TabularInline):
    model = PromptRecording
    extra = 1


@admin.register(HotlineLanguage)
class HotlineLanguageAdmin(admin.ModelAdmin):
    list_display = ("digit", "code", "name", "text_language", "voice_language", "active")
    inlines = [PromptRecordingInline]
