"""`garita waitlist checkpoint|proof|consistency|verify --port P`: the log from the shell.

`verify` recomputes every entry from the database and exits non-zero, naming the first bad
entry, if any row was edited, reordered or deleted.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from garita.core.errors import DomainError
from garita.waitlist import keys, merkle, selectors, services
from garita.waitlist import log as wlog


class Command(BaseCommand):
    help = "Transparency log of a port's waitlist: checkpoint, proof, consistency, verify."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        cp = sub.add_parser("checkpoint", help="print the signed checkpoint (signing if needed)")
        cp.add_argument("--port", required=True)
        cp.add_argument("--key", action="store_true", help="print the verifier key instead")
        pr = sub.add_parser("proof", help="inclusion proof of one entry, as JSON")
        pr.add_argument("--port", required=True)
        pr.add_argument("--index", type=int, required=True)
        pr.add_argument("--size", type=int, default=None)
        co = sub.add_parser("consistency", help="consistency proof between two sizes, as JSON")
        co.add_argument("--port", required=True)
        co.add_argument("--old", type=int, required=True)
        co.add_argument("--new", type=int, default=None)
        ve = sub.add_parser("verify", help="recompute the log from the database")
        ve.add_argument("--port", required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            wl = selectors.waitlist_for_read(opts["port"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        action = opts["action"]
        if action == "checkpoint":
            if opts["key"]:
                self.stdout.write(keys.public_verifier_key(wl.port.slug))
                return
            self.stdout.write(services.publish_checkpoint(port=wl.port).note, ending="")
            return
        try:
            if action == "proof":
                out = wlog.inclusion(wl, opts["index"], opts["size"])
            elif action == "consistency":
                out = wlog.consistency(wl, opts["old"], opts["new"])
            else:
                out = self._verify(wl)
        except merkle.ProofError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(out, indent=2))

    def _verify(self, wl: Any) -> dict[str, Any]:
        progress = None
        if sys.stdout.isatty():
            from rich.progress import Progress

            bar = Progress(transient=True)
            task = bar.add_task("verify", total=wl.log_size)
            bar.start()
            progress = lambda n: bar.update(task, completed=n)  # noqa: E731
        try:
            res = wlog.verify(wl, progress)
        finally:
            if progress is not None:
                bar.stop()
        if not res.ok:
            raise CommandError(f"log of {wl.port.slug} is NOT intact: {res.problem}")
        return {"port": wl.port.slug, "ok": True, "tree_size": res.size, "root_hash": res.root}
