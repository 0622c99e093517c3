"""Hotline webhooks under /hotline/: voice steps, SMS, delivery status, recorded prompts."""

from django.urls import path

from garita.hotline import views, voice

app_name = "hotline"
urlpatterns = [
    path("voice", voice.voice_menu, name="voice"),
    path("voice/language", voice.voice_language, name="voice_language"),
    path("voice/anumber", voice.voice_anumber, name="voice_anumber"),
    path("voice/pin", voice.voice_pin, name="voice_pin"),
    path("voice/repeat", voice.voice_repeat, name="voice_repeat"),
    path("sms", views.sms, name="sms"),
    path("status-callback", views.status_callback, name="status_callback"),
    path("prompts/<int:pk>", views.prompt_audio, name="prompt_audio"),
]
