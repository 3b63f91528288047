"""Compile the UI's gettext catalogues (frontend/locale/*/LC_MESSAGES/*.po -> .mo) with polib.

Django's own compilemessages needs GNU gettext's msgfmt, which a demo machine need not have;
the .mo files are build output (not committed), so `make` runs this before serving or testing.
Extraction stays Django's: `make messages` runs makemessages -d djangojs (needs gettext)."""
from pathlib import Path

import polib
from django.core.management.base import BaseCommand, CommandError

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"


def compile_catalogue(po_path: Path) -> Path:
    catalogue = polib.pofile(str(po_path))
    untranslated = [entry for entry in catalogue.untranslated_entries() if not entry.obsolete]
    if untranslated:
        names = ", ".join(entry.msgctxt or entry.msgid for entry in untranslated[:5])
        raise CommandError(f"{po_path}: {len(untranslated)} untranslated strings, e.g. {names}")
    mo_path = po_path.with_suffix(".mo")
    catalogue.save_as_mofile(str(mo_path))
    return mo_path


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def handle(self, *args, **options):
        paths = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
        if not paths:
            raise CommandError(f"no .po files under {LOCALE_DIR}")
        for po_path in paths:
            mo_path = compile_catalogue(po_path)
            if options["verbosity"] > 0:
                self.stdout.write(f"compiled {mo_path.relative_to(LOCALE_DIR)}")
