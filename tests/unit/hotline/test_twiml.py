"""garita.hotline.twiml writes the same bytes as the twilio library's TwiML classes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from garita.hotline import twiml

# Any text a prompt, an address or a URL could hold (XML 1.0 characters: ElementTree writes
# the others too, and so do we, but no parser reads them back).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=60).filter(lambda s: all(c in "\t\n\r" or ord(c) >= 32 for c in s))
maybe = st.none() | text


def build(doc, ops):
    for op, a, b, c in ops:
        if op == "say":
            doc.say(a, language=b, voice=c)
        elif op == "play":
            doc.play(a)
        elif op == "redirect":
            doc.redirect(a or "x", method=b)
        elif op == "hangup":
            doc.hangup()
        else:
            g = doc.gather(num_digits=len(a or ""), action=a, method=b, timeout=6,
                           finish_on_key=c, barge_in=bool(c))
            g.say(b, language="es-MX")
            g.play(c)
    return doc


ops = st.lists(st.tuples(st.sampled_from(["say", "play", "redirect", "hangup", "gather"]),
                         maybe, maybe, maybe), max_size=8)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_voice_documents_are_byte_for_byte_the_libraries(steps):
    assert str(build(twiml.Response(), steps)) == str(build(VoiceResponse(), steps))


@settings(max_examples=100, deadline=None)
@given(maybe)
def test_messages_are_byte_for_byte_the_libraries(body):
    ours, theirs = twiml.Response(), MessagingResponse()
    ours.message(body)
    theirs.message(body)
    assert str(ours) == str(theirs)


def test_escaping_in_text_and_attributes():
    r = twiml.Response()
    r.say('<b>"Tom" & Jerry</b>', language='x"y')
    r.redirect("/a?b=1&c=2", method="POST")
    assert str(r) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="x&quot;y">&lt;b&gt;"Tom" &amp; Jerry&lt;/b&gt;</Say>'
        '<Redirect method="POST">/a?b=1&amp;c=2</Redirect></Response>')
