"""C2SP signed-note and tlog-checkpoint: the Go sumdb/note known answer and round trips."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garita.waitlist import note

# golang.org/x/mod/sumdb/note test vector.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = GO_TEXT + ("\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"
                     "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def _go_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SKEY.split("+", 4)[-1])[1:])


def test_signing_reproduces_the_go_note_byte_for_byte():
    assert note.sign_note(GO_TEXT, "PeterNeumann", _go_key()) == GO_NOTE
    assert note.verifier_key("PeterNeumann", _go_key()) == GO_VKEY


def test_opening_the_go_note_with_its_verifier_key_returns_the_text():
    assert note.open_note(GO_NOTE, note.parse_verifier_key(GO_VKEY)) == GO_TEXT


def test_a_changed_note_does_not_verify():
    with pytest.raises(note.NoteError):
        note.open_note(GO_NOTE.replace("cryptography", "cryptographY"),
                       note.parse_verifier_key(GO_VKEY))


@pytest.mark.parametrize("bad", [GO_VKEY.replace("c74f20a3", "c74f20a4"), "PeterNeumann",
                                 GO_VKEY + "A", "a b+c74f20a3+ARpc"])
def test_malformed_verifier_keys_are_refused(bad):
    with pytest.raises(note.NoteError):
        note.parse_verifier_key(bad)


def test_checkpoints_round_trip():
    key = Ed25519PrivateKey.generate()
    text = note.checkpoint_text("garita.example/waitlist/san-ysidro", 7, bytes(range(32)))
    assert text.split("\n")[1] == "7"
    signed = note.sign_note(text, "garita.example/waitlist/san-ysidro", key)
    v = note.parse_verifier_key(note.verifier_key("garita.example/waitlist/san-ysidro", key))
    assert note.parse_checkpoint(note.open_note(signed, v)) == (
        "garita.example/waitlist/san-ysidro", 7, bytes(range(32)))


@pytest.mark.parametrize("bad", ["o\n07\n" + base64.b64encode(bytes(32)).decode() + "\n",
                                 "o\nx\nAAAA\n", "o\n1\nAAAA\n", "o\n1\n"])
def test_malformed_checkpoints_are_refused(bad):
    with pytest.raises(note.NoteError):
        note.parse_checkpoint(bad)
