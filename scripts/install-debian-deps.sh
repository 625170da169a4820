#!/usr/bin/env bash
# Installs the Debian packages behind Stowage's real test servers (see local/servers/):
# a single-node Ceph RADOS Gateway (S3 API), ClamAV's clamd and a PostgreSQL server, plus the Chromium
# that the upload page's browser test drives through playwright-core (test/support/browser/).
#
# Idempotent: installs only what is missing and is a no-op when everything is there.
# Package scripts are not allowed to start services: Stowage starts its own daemons on its own
# ports and data directories, and a packaged clamd/freshclam/ceph left running would only be in the way.
#
# Usage (as root, Debian bookworm): scripts/install-debian-deps.sh
set -euo pipefail

# postgresql-client: pg_dump and pg_restore, which the backup verification tests compare their dump parser with;
# postgresql-15: the server (initdb, pg_ctl, postgres in /usr/lib/postgresql/15/bin) the backup tests dump from;
# chromium: the browser of test/local/web/upload-page.integration.test.ts (`npx playwright install` cannot download
# browsers here, so playwright-core launches Debian's build);
# sox (+ libsox-fmt-mp3), lame, flac, vorbis-tools, opus-tools, ffmpeg, imagemagick, ghostscript, qpdf, zip, unzip:
# the real tools that make the scanner's clean and hostile corpora at test time (every allowed type, from the
# programs users' files come from), so the structure checks are tested against real files, never hand-made bytes.
readonly PACKAGES=(ceph-mon ceph-osd radosgw ceph-common clamav clamav-daemon clamav-testfiles postgresql-client
  postgresql-15 chromium sox libsox-fmt-mp3 lame flac vorbis-tools opus-tools ffmpeg imagemagick ghostscript qpdf zip
  unzip)
readonly POSTGRES_BIN=/usr/lib/postgresql/15/bin
readonly POLICY_RC_D=/usr/sbin/policy-rc.d

log() { printf 'install-debian-deps: %s\n' "$*"; }
die() { printf 'install-debian-deps: error: %s\n' "$*" >&2; exit 1; }

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == 'install ok installed' ]]
}

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
  || die 'this script needs a Debian system (dpkg-query and apt-get not found)'

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  log "all packages already installed: ${PACKAGES[*]}"
  exit 0
fi

((EUID == 0)) || die "must run as root to install: ${missing[*]}"

# Forbid service start-up from maintainer scripts for the duration of the install (invoke-rc.d and
# deb-systemd-invoke both honour policy-rc.d). An existing policy is kept and restored untouched.
policy_backup=''
restore_policy() {
  if [[ -n "$policy_backup" ]]; then
    mv -f "$policy_backup" "$POLICY_RC_D"
  else
    rm -f "$POLICY_RC_D"
  fi
}
if [[ -e "$POLICY_RC_D" ]]; then
  policy_backup="$(mktemp "${POLICY_RC_D}.stowage-backup.XXXXXX")"
  cp -p "$POLICY_RC_D" "$policy_backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# Temporary, written by Stowage scripts/install-debian-deps.sh\nexit 101\n' >"$POLICY_RC_D"
chmod 0755 "$POLICY_RC_D"

log "installing: ${missing[*]}"
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
log "installed in $((SECONDS - start)) s: ${missing[*]}"

# On a host with systemd the packages enable units that would start at the next boot: disable them.
# clamav-freshclam cannot reach the internet here and the packaged clamd has no signature database.
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
  for unit in clamav-daemon.service clamav-freshclam.service clamav-daemon.socket postgresql.service; do
    if systemctl list-unit-files "$unit" >/dev/null 2>&1; then
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
      log "disabled $unit"
    fi
  done
elif command -v update-rc.d >/dev/null 2>&1; then
  for svc in clamav-daemon clamav-freshclam postgresql; do
    if [[ -e "/etc/init.d/$svc" ]]; then
      update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  done
fi

# Report (never kill: they are not ours) any packaged daemon that is running anyway.
for daemon in clamd freshclam ceph-mon ceph-osd radosgw postgres; do
  if pids="$(pgrep -x "$daemon" 2>/dev/null)"; then
    log "warning: a packaged $daemon is running (pid ${pids//$'\n'/ }); Stowage does not use it"
  fi
done

for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool clamd clamscan pg_dump pg_restore \
  chromium sox lame flac oggenc opusenc ffmpeg identify gs qpdf zip unzip; do
  command -v "$bin" >/dev/null 2>&1 || die "$bin still not found after installing"
done
# The server binaries are not on PATH in Debian; local/servers/postgres.ts looks for them here.
for bin in initdb pg_ctl postgres pg_isready; do
  [[ -x "$POSTGRES_BIN/$bin" ]] || die "$POSTGRES_BIN/$bin still not found after installing"
done
log 'done'
