#!/usr/bin/env bash
# Writes the default training text, data/kjv.txt: the King James Bible (public
# domain), about 4.3 MB of English, from Debian's bible-kjv package (setup.sh
# installs it). paramoe reads it with the byte-level tokenizer (vocabulary 256).
# Usage: inputs/data/make_corpus.sh [OUT]   (OUT relative to the repository root;
# idempotent: an existing file is kept)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-data/kjv.txt}
[[ -s "$out" ]] && { echo "corpus: $out present"; exit 0; }
command -v bible >/dev/null || { echo "make_corpus.sh: 'bible' not found; run ./setup.sh (Debian package bible-kjv)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bible "Gen1:1-Rev22:21" > "$out.tmp"
mv "$out.tmp" "$out"
echo "corpus: wrote $out ($(wc -c < "$out") bytes)"
