#!/usr/bin/env bash
# Refreshes the user guide's screenshots (docs/guide/images/*.png) from the browser walk:
# runs the walk of the demo agents (tests/it/walk.rs, which installs nothing: run README
# command 2 once first), then copies, for each image the guide references
# (`![…](images/<name>.png)`), the walk's screenshot of the step `check(page, '<name>')`.
# The suite checks that every referenced image is such a step (walk.rs). The guide's own
# pages come last in the walk: a first run may stop there on an image not taken yet, after
# every other screenshot; the second run, with the images in place, must pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CARGO_TARGET_DIR:=$PWD/target}"
export CARGO_TARGET_DIR
walk() {
    cargo nextest run -p napoleon --test it the_demo_agents_walk_the_pages_accessibly_in_chromium
}
walk || echo "(the walk failed: copying what it took, then walking again)" >&2
shots="$CARGO_TARGET_DIR/napoleon-screenshots/demo_agents_walk"
mkdir -p docs/guide/images
missing=0
for name in $(grep -oh '](images/[a-z0-9-]*\.png)' docs/guide/*.md | sed 's/](images\/\(.*\)\.png)/\1/' | sort -u); do
    shot=$(ls "$shots"/[0-9][0-9]-"$name".png 2>/dev/null | head -n 1 || true)
    if [ -z "$shot" ]; then
        echo "no screenshot of the step « $name » in $shots" >&2
        missing=1
        continue
    fi
    cp "$shot" "docs/guide/images/$name.png"
    echo "docs/guide/images/$name.png"
done
[ "$missing" -eq 0 ] || exit 1
walk
