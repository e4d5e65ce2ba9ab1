"""Print this exchange's federation public key (give it to peers' staff), or generate a new key pair."""

from django.core.management.base import BaseCommand

from regional_network import signatures


class Command(BaseCommand):
    help = (
        "Print our Ed25519 public key (base64, raw 32 bytes) and key id; --generate prints a new private key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--generate",
            action="store_true",
            help="Print a NEW private key for FEDERATION_PRIVATE_KEY (nothing is stored).",
        )

    def handle(self, *args, **options):
        if options["generate"]:
            private = signatures.generate_private_key_b64()
            public = signatures.public_key_b64(signatures.private_key_from_b64(private))
            self.stdout.write(f"FEDERATION_PRIVATE_KEY={private}\npublic key: {public}")
            return
        self.stdout.write(f"key id (origin): {signatures.our_key_id()}")
        self.stdout.write(f"public key: {signatures.our_public_key_b64()}")
