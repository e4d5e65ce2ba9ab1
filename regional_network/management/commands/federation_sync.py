"""Pull peers' feeds now (all active peers, or one), with a progress bar; --repair checks drift too."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from regional_network.models import Peer
from regional_network.services import peer_repair, peer_sync


class Command(BaseCommand):
    help = "Pull the change feed of every active peer (or --peer NAME/ORIGIN) until caught up."

    def add_arguments(self, parser):
        parser.add_argument("--peer", help="Name or origin code of one peer")
        parser.add_argument("--repair", action="store_true", help="Also compare inventories and repair drift")

    def handle(self, *args, **options):
        peers = Peer.objects.filter(active=True)
        if options["peer"]:
            name = options["peer"]
            peers = Peer.objects.filter(origin=name) | Peer.objects.filter(name=name)
            if not peers.exists():
                raise CommandError(f"No peer named {name!r}")
        failed = 0
        for peer in peers.order_by("name"):
            with tqdm(desc=peer.origin, unit="rec", disable=options["verbosity"] == 0) as bar:

                def progress(n, p, bar=bar):
                    bar.update(n)
                    bar.set_postfix(cursor=p.cursor, lag=p.lag)

                result = peer_sync(peer_id=peer.pk, progress=progress)
            line = f"{peer.origin}: {result.status}, {result.pages} pages, {result.stats.as_dict()}"
            if result.error:
                line += f" — {result.error}"
                failed += 1
            self.stdout.write(line)
            if options["repair"] and result.status == "ok":
                self.stdout.write(f"{peer.origin} repair: {peer_repair(peer_id=peer.pk)}")
        if failed:
            raise CommandError(f"{failed} peer(s) failed")
