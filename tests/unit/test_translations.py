"""The English catalogue keeps up with the Vietnamese interface: every message on screen has a translation."""
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = ["-k", "N_", "-k", "InvalidInput:2", "-k", "NotFound:1", "-k", "Duplicate:1", "-k", "WrongPin:1",
            "-k", "DomainError:1"]


def test_every_message_on_screen_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    *KEYWORDS, "-o", str(pot), str(ROOT / "pos"), str(ROOT / "templates")],
                   check=True, capture_output=True)
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (ROOT / "pos/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(i for i in wanted if not catalogue.get(i))
    assert missing == [], f"run scripts/translations.sh and translate: {missing[:20]}"


def test_translations_keep_every_placeholder():
    with (ROOT / "pos/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        bad = [m.id for m in read_po(f) if m.id and m.string and
               set(re.findall(r"%\(\w+\)s|\{\w+\}", m.id)) != set(re.findall(r"%\(\w+\)s|\{\w+\}", m.string))]
    assert bad == []


def test_the_compiled_catalogue_is_not_older_than_its_source():
    po = ROOT / "pos/translations/en/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    from babel.messages.mofile import read_mo

    with po.open("rb") as f:
        source = {m.id: m.string for m in read_po(f) if m.id}
    with mo.open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    assert compiled == source
