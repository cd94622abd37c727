# SPDX-License-Identifier: GPL-2.0
# fetch: the pinned Linux base, through a private apt configuration.
# shellcheck shell=bash

# The Debian archive mirror this system already uses (never a literal host).
apt_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		uri=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 !~ /-security/ && u != "") { print u; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		uri=$(awk '$1 == "deb" && $0 !~ /-security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	die "cannot find a Debian mirror in the system apt configuration"
}

# Private apt state: own sources list, lists and archives; /etc/apt untouched.
APT_DIR=$CACHE/apt
apt_private() {
	apt-get -q -o Dir::Etc::SourceList="$APT_DIR/etc/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$APT_DIR/lists" \
		-o Dir::Cache="$APT_DIR/cache" -o Dir::Cache::Archives="$APT_DIR/archives" \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
		-o APT::Sandbox::User=root "$@"
}

# apt_private_setup [SUITE [TYPE...]]: $APT_DIR with the system's mirror for
# SUITE's main component, as TYPE lines (deb, deb-src); by default the
# binaries and sources of trixie-backports, where the Linux base comes from.
apt_private_setup() {
	local suite=${1:-trixie-backports} mirror type
	local types=("${@:2}")
	((${#types[@]})) || types=(deb deb-src)
	mirror=$(apt_mirror)
	mkdir -p "$APT_DIR"/{lists/partial,archives/partial,cache,etc,src}
	for type in "${types[@]}"; do
		echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
	done >"$APT_DIR/etc/sources.list"
	apt_private update >/dev/null
}

# Pristine upstream tarball from the source package, if the mirror has it.
fetch_orig() {
	local dest=$1 tarball
	(cd "$APT_DIR/src" && timeout 600 apt_private source --download-only --only-source "linux" >/dev/null 2>&1) || return 1
	tarball=$(find "$APT_DIR/src" -name "linux_$KVER*.orig.tar.xz" | head -n 1)
	[[ -n $tarball ]] || return 1
	mkdir -p "$dest" && tar -xJf "$tarball" -C "$dest" --strip-components=1
	basename "$tarball" >"$CACHE/base-origin"
}

fetch_linux_source() {
	local dest=$1 deb
	(cd "$APT_DIR/archives" && apt_private download "linux-source-$KVER" >/dev/null) ||
		die "cannot download linux-source-$KVER from trixie-backports"
	deb=$(find "$APT_DIR/archives" -maxdepth 1 -name "linux-source-${KVER}_*.deb" | sort -V | tail -n 1)
	mkdir -p "$dest"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$KVER.tar.xz" |
		tar -xJ -C "$dest" --strip-components=1
	basename "$deb" >"$CACHE/base-origin"
}

# Commit a plain tree as the base, deterministically (fixed identity/date).
import_tree() {
	local tree=$1
	git init -q "$BASE_REPO"
	git -C "$BASE_REPO" --work-tree="$tree" add -Af .
	git -C "$BASE_REPO" --work-tree="$tree" "${GIT_ID[@]}" commit -q \
		-m "Linux $KVER base ($(cat "$CACHE/base-origin"))"
	git -C "$BASE_REPO" tag -f "$BASE_TAG" >/dev/null
}

cmd_fetch() {
	require_tools git apt-get dpkg-deb tar xz
	if [[ -n ${KERNEL_SRC:-} ]]; then
		fetch_from_tree "$KERNEL_SRC"
		return
	fi
	if git -C "$BASE_REPO" rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null 2>&1; then
		log "base already present: $(cat "$CACHE/base-origin") $(git -C "$BASE_REPO" rev-parse "$BASE_TAG")"
		return
	fi
	local tmp=$CACHE/extract
	rm -rf "$tmp" "$BASE_REPO"
	apt_private_setup
	if fetch_orig "$tmp"; then
		log "using the pristine upstream tarball"
	else
		log "no pristine tarball on the mirror, using linux-source-$KVER"
		rm -rf "$tmp"
		fetch_linux_source "$tmp"
	fi
	import_tree "$tmp"
	rm -rf "$tmp"
	log "base: $(cat "$CACHE/base-origin") $(git -C "$BASE_REPO" rev-parse "$BASE_TAG")"
}

# KERNEL_SRC: a git repository (its HEAD is the base) or a plain tree.
fetch_from_tree() {
	local src
	src=$(cd "$1" && pwd) || die "KERNEL_SRC=$1 does not exist"
	[[ -f $src/Makefile && -d $src/drivers/net/wireguard ]] || die "KERNEL_SRC=$src is not a Linux tree"
	rm -rf "$BASE_REPO"
	if git -C "$src" rev-parse --show-toplevel 2>/dev/null | grep -qx "$src"; then
		git clone -q --shared --no-checkout "$src" "$BASE_REPO"
		git -C "$BASE_REPO" tag -f "$BASE_TAG" HEAD >/dev/null
		echo "git:$src" >"$CACHE/base-origin"
	else
		echo "tree:$src" >"$CACHE/base-origin"
		import_tree "$src"
	fi
	log "base: $(cat "$CACHE/base-origin") $(git -C "$BASE_REPO" rev-parse "$BASE_TAG")"
}
