#!/usr/bin/env bash
# The @jazzer.js/fuzzer prebuilt addon needs glibc >= 2.38; Debian 12 has 2.36. Fetch Debian 13's
# libc6/libstdc++6/libgcc-s1 packages (not installed: only unpacked under $1) so fuzz/run.mjs can
# start node through that glibc's loader. Used by `npm run fuzz` only; tests never need it.
set -euo pipefail
dest=${1:-/tmp/rmail-fuzz-glibc}
[ -x "$dest/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] && exit 0
mkdir -p "$dest/lists/partial" "$dest/cache/archives/partial" "$dest/root"
cat > "$dest/trixie.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
A=(-o "Dir::Etc::SourceList=$dest/trixie.sources" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$dest/lists" -o "Dir::Cache=$dest/cache")
apt-get "${A[@]}" update -qq
(cd "$dest" && apt-get "${A[@]}" download libc6 libstdc++6 libgcc-s1 >/dev/null 2>&1)
for d in "$dest"/*.deb; do dpkg-deb -x "$d" "$dest/root"; done
