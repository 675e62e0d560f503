#!/usr/bin/env bash
# Re-extract the interface's messages (Vietnamese is the source language), merge them into
# the English catalogue and compile it. Run after changing any text on screen, translate the
# new empty msgstr lines in pos/translations/en/LC_MESSAGES/messages.po, run again, commit both.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-pybabel}
KEYWORDS=(-k N_ -k InvalidInput:2 -k NotFound:1 -k Duplicate:1 -k WrongPin:1 -k DomainError:1)
$PYBABEL extract -F babel.cfg "${KEYWORDS[@]}" --no-location --sort-output --omit-header \
  -o pos/translations/messages.pot pos templates
if [ -f pos/translations/en/LC_MESSAGES/messages.po ]; then
  $PYBABEL update --no-fuzzy-matching -i pos/translations/messages.pot -d pos/translations -l en
else
  $PYBABEL init -i pos/translations/messages.pot -d pos/translations -l en
fi
$PYBABEL compile -d pos/translations -l en --statistics
