"""TwiML documents written straight to text: the hotline's answers to the provider.

The twilio library's VoiceResponse/MessagingResponse build an ElementTree and serialise it;
on the IVR's answer step that was about a tenth of the request's CPU. This writes the same
document directly: the same verbs and attribute names (snake_case keywords become
lowerCamelCase, attributes in sorted order, booleans as true/false, None left out), the same
escaping as ElementTree, byte for byte (tests/unit/hotline/test_twiml.py compares the two
on generated input). Only the verbs the hotline uses are here.
"""

from __future__ import annotations

import functools
from typing import Any

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def _text(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attr(value: str) -> str:
    value = _text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


@functools.cache
def _camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Verb:
    """One TwiML element: a name, attributes, optional text and nested verbs."""

    __slots__ = ("children", "head", "name", "text")

    def __init__(self, name: str, text: str | None = None, **attrs: Any) -> None:
        self.name = name
        self.text = text
        self.children: list[Verb] = []
        # The opening tag without its ">", written once: attributes never change later.
        head = "<" + name
        if attrs:
            named = sorted((_camel(k), v) for k, v in attrs.items() if v is not None)
            for key, value in named:
                text_value = str(value).lower() if isinstance(value, bool) else str(value)
                head += f' {key}="{_attr(text_value)}"'
        self.head = head

    def nest(self, verb: Verb) -> Verb:
        self.children.append(verb)
        return verb

    # The verbs the hotline uses, with the twilio library's keyword names.
    def say(self, message: str | None = None, *, voice: str | None = None,
            language: str | None = None, **kwargs: Any) -> Verb:
        return self.nest(Verb("Say", message, voice=voice, language=language, **kwargs))

    def play(self, url: str | None = None, **kwargs: Any) -> Verb:
        return self.nest(Verb("Play", url, **kwargs))

    def gather(self, **kwargs: Any) -> Verb:
        return self.nest(Verb("Gather", None, **kwargs))

    def redirect(self, url: str, method: str | None = None, **kwargs: Any) -> Verb:
        return self.nest(Verb("Redirect", url, method=method, **kwargs))

    def hangup(self) -> Verb:
        return self.nest(Verb("Hangup"))

    def message(self, body: str | None = None, **kwargs: Any) -> Verb:
        return self.nest(Verb("Message", body, **kwargs))

    def write(self, out: list[str]) -> None:
        if not self.text and not self.children:
            out.append(self.head + " />")
            return
        out.append(self.head + ">")
        if self.text:
            out.append(_text(self.text))
        for child in self.children:
            child.write(out)
        out.append(f"</{self.name}>")


class Response(Verb):
    """The document: <Response> and its verbs, as text with the XML declaration."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("Response")

    def __str__(self) -> str:
        out = [_XML_DECLARATION]
        self.write(out)
        return "".join(out)
