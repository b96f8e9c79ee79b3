# shellcheck shell=bash
# rdma-core with our patches (userspace/rdma-core/patches: the rxe provider's dma-buf
# verb, pyverbs' dma-buf fixes), built from Debian's source package as .debs and
# installed over the host's rdma-core, so that every ibverbs application on the host
# and in the test guest (whose root is the host's) uses it.  docs/rdma.md says why.
# Sourced by deps.sh (its apt helpers, $SUDO, lib.sh); `rdma_core` does it all.
#
# Debian 12's own rdma-core 44 cannot be rebuilt from the archive here (its
# orig.tar.gz is not served), so the source is trixie's 56.1-1, whose
# ibv_cmd_reg_dmabuf_mr() has upstream's signature: the patches are the ones for
# upstream.  Built with bookworm's toolchain; the result is versioned
# $RDMA_CORE_SRC+phyr.<hash of the patches and this file>, cached in $CACHE/rdma-core.

RDMA_CORE_SRC=${RDMA_CORE_SRC:-56.1-1}
RDMA_CORE_SUITE=${RDMA_CORE_SUITE:-trixie}
RDMA_CORE_DIR=$CACHE/rdma-core
# what we install; every other binary package of rdma-core's that the host has
# installed is replaced by ours as well (mixed versions of one source do not install)
RDMA_CORE_PKGS=(rdma-core libibverbs1 ibverbs-providers libibverbs-dev ibverbs-utils
		librdmacm1t64 python3-pyverbs)

rdma_core_version() {
	local key
	key=$(cat "$TOP"/userspace/rdma-core/patches/*.patch "$TOP/scripts/rdma-core.sh" |
	      sha256sum | cut -c1-10)
	echo "$RDMA_CORE_SRC+phyr.$key"
}

# the source package's files, checked against the archive's signed Sources index,
# kept in $RDMA_CORE_DIR/src (a cache that has them keeps working when the suite
# moves on).  The archive here serves the tarballs but not always the .dsc: the
# package is unpacked by hand, as dpkg-source would (format 3.0 (quilt); the quilt
# series is applied by dpkg-buildpackage).
rdma_core_fetch() {
	local src=$RDMA_CORE_DIR/src/$RDMA_CORE_SRC upstream=${RDMA_CORE_SRC%-*} f sums
	local files=("rdma-core_$upstream.orig.tar.gz" "rdma-core_$RDMA_CORE_SRC.debian.tar.xz")
	[ -f "$src/.verified" ] && return 0
	local l=/etc/apt/sources.list.d/phyr-src.sources
	if ! grep -qs "^Suites: $RDMA_CORE_SUITE\$" "$l"; then
		step "adding Debian $RDMA_CORE_SUITE's sources (deb-src) to apt"
		$SUDO tee "$l" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $RDMA_CORE_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		APT_UPDATED=
	fi
	apt_update_once
	sums=$(apt-cache showsrc rdma-core 2>/dev/null |
	       awk -v want="$RDMA_CORE_SRC" '/^$/ { v = "" } /^Version:/ { v = $2 }
			/^Checksums-Sha256:/ { p = v == want; next } /^[^ ]/ { p = 0 }
			p { print $1 "  " $3 }')
	[ -n "$sums" ] ||
		fail "rdma-core $RDMA_CORE_SRC is not in Debian's $RDMA_CORE_SUITE sources any more: set RDMA_CORE_SRC (scripts/rdma-core.sh) to the version there, and check that the patches still apply"
	step "downloading rdma-core $RDMA_CORE_SRC's source from $RDMA_CORE_SUITE"
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	# apt-get source also wants the .dsc, which may be missing: what it got counts
	(cd "$src.tmp" && apt-get source -q --download-only "rdma-core=$RDMA_CORE_SRC") \
		>"$LOGDIR/rdma-core-source.log" 2>&1 || true
	for f in "${files[@]}"; do
		grep -q "  $f\$" <<<"$sums" ||
			fail "rdma-core $RDMA_CORE_SRC has no $f (not a 3.0 (quilt) package any more?)"
		[ -f "$src.tmp/$f" ] ||
			{ tail -n 5 "$LOGDIR/rdma-core-source.log"; fail "downloading $f failed"; }
	done
	(cd "$src.tmp" && grep -E "  ($(IFS='|'; echo "${files[*]}"))\$" <<<"$sums" |
		sha256sum -c --quiet) >"$LOGDIR/rdma-core-sha256.log" 2>&1 ||
		{ cat "$LOGDIR/rdma-core-sha256.log"; fail "rdma-core's source does not match the archive's checksums"; }
	touch "$src.tmp/.verified"
	rm -rf "$src"
	mv "$src.tmp" "$src"
}

# unpack, add our patches to the quilt series, make it a bookworm build, build the .debs
rdma_core_build() {
	local ver=$1 out=$RDMA_CORE_DIR/$1 upstream=${RDMA_CORE_SRC%-*} p
	local src=$RDMA_CORE_DIR/src/$RDMA_CORE_SRC work=$RDMA_CORE_DIR/build
	local tree=$work/rdma-core-$upstream
	[ -f "$out/.done" ] && return 0
	rdma_core_fetch
	rm -rf "$work"
	mkdir -p "$work"
	tar -C "$work" -xzf "$src/rdma-core_$upstream.orig.tar.gz"
	# as dpkg-source: the Debian tarball's debian/ replaces the one upstream ships
	rm -rf "$tree/debian"
	tar -C "$tree" -xJf "$src/rdma-core_$RDMA_CORE_SRC.debian.tar.xz"
	for p in "$TOP"/userspace/rdma-core/patches/*.patch; do
		cp "$p" "$tree/debian/patches/phyr-${p##*/}"
		echo "phyr-${p##*/}" >>"$tree/debian/patches/series"
	done
	# trixie's packaging on bookworm: dpkg-dev >= 1.22.5 is only for the 64-bit
	# time_t renames, whose Provides it computes (${t64:Provides}); on amd64 they
	# are the old names, as given here
	sed -i -e 's/dpkg-dev (>= 1\.22\.5)/dpkg-dev (>= 1.17)/' \
		-e '/^Package: librdmacm1t64$/,/^$/s/\${t64:Provides}/librdmacm1 (= ${binary:Version})/' \
		-e '/^Package: libibnetdisc5t64$/,/^$/s/\${t64:Provides}/libibnetdisc5 (= ${binary:Version})/' \
		"$tree/debian/control"
	# and, as bookworm's own rdma-core, systemd units and udev files in /lib (its
	# debhelper looks for units there; a file moving from /lib to /usr/lib in an
	# upgrade is deleted on a merged-/usr system)
	grep -rlE 'usr/lib/(systemd/system|udev)' "$tree/debian" --exclude=changelog \
		--exclude-dir=patches | xargs -r sed -i -E 's,usr/lib/(systemd/system|udev),lib/\1,g'
	# python3-pyverbs ships rdma-core's tests (/usr/share/doc/rdma-core/tests), which
	# dh_compress would gzip, as every bigger file in /usr/share/doc: Python cannot
	# import them then
	grep -q '^override_dh_compress:' "$tree/debian/rules" ||
		printf '\noverride_dh_compress:\n\tdh_compress -X.py\n' >>"$tree/debian/rules"
	if grep -q 't64:Provides\|1\.22\.5' "$tree/debian/control"; then
		fail "rdma-core's debian/control changed: scripts/rdma-core.sh's edits no longer fit"
	fi
	{
		printf 'rdma-core (%s) bookworm; urgency=medium\n\n' "$ver"
		printf '  * Rebuilt for Debian 12 with phyr'"'"'s patches (userspace/rdma-core/patches)\n\n'
		printf ' -- %s <%s>  %s\n\n' "$(git -C "$TOP" config user.name || echo phyr)" \
			"$(git -C "$TOP" config user.email || echo phyr@localhost)" "$(date -R)"
		cat "$tree/debian/changelog"
	} >"$tree/debian/changelog.new"
	mv "$tree/debian/changelog.new" "$tree/debian/changelog"
	step "installing rdma-core's build dependencies"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get build-dep -y -q --no-install-recommends \
		-o Dpkg::Progress-Fancy=0 "$tree" >"$LOGDIR/rdma-core-build-dep.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/rdma-core-build-dep.log"; fail "installing rdma-core's build dependencies failed"; }
	step "building rdma-core $ver (.debs; ~10 min)"
	local t0=$SECONDS
	(cd "$tree" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck noautodbgsym" \
		dpkg-buildpackage -b -uc -us) >"$LOGDIR/rdma-core-build.log" 2>&1 ||
		{ tail -n 40 "$LOGDIR/rdma-core-build.log"; fail "building rdma-core failed (log: $LOGDIR/rdma-core-build.log)"; }
	info "built in $((SECONDS - t0)) s"
	rm -rf "$out"
	mkdir -p "$out"
	mv "$work"/*.deb "$out/"
	rm -rf "$work"
	touch "$out/.done"
}

# the packages to install: ours, and every other one of rdma-core's that the host
# has (under its 64-bit time_t name where it has one), as the .debs of this build
rdma_core_debs() {
	local out=$1 p
	declare -A want=()
	for p in "${RDMA_CORE_PKGS[@]}"; do want[$p]=1; done
	for p in $(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${source:Package}\n' 2>/dev/null |
		   awk '$1 == "ii" && $3 == "rdma-core" { print $2 }'); do
		p=${p%%:*}
		if ls "$out/${p}t64_"*.deb >/dev/null 2>&1; then
			want[${p}t64]=1
		elif ls "$out/${p}_"*.deb >/dev/null 2>&1; then
			want[$p]=1
		fi
	done
	for p in "${!want[@]}"; do
		ls "$out/${p}_"*.deb
	done
}

rdma_core() {
	local ver p miss= debs bad
	ver=$(rdma_core_version)
	for p in "${RDMA_CORE_PKGS[@]}"; do
		[ "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null)" = "$ver" ] || miss=1
	done
	[ -z "$miss" ] && return 0
	lock rdma-core
	rdma_core_build "$ver"
	mapfile -t debs < <(rdma_core_debs "$RDMA_CORE_DIR/$ver")
	# only the old names of the t64 packages may go (their new ones provide them)
	bad=$(apt-get install -s -q --no-install-recommends --allow-downgrades "${debs[@]}" 2>&1 |
	      awk '/^Remv / { print $2 }' | grep -vxE 'librdmacm1|libibnetdisc5' || true)
	[ -z "$bad" ] ||
		fail "installing rdma-core $ver would remove other packages: $(echo $bad) (see apt-get install -s ${debs[*]})"
	step "installing rdma-core $ver"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		--allow-downgrades -o Dpkg::Progress-Fancy=0 "${debs[@]}" \
		>"$LOGDIR/rdma-core-install.log" 2>&1 ||
		{ tail -n 30 "$LOGDIR/rdma-core-install.log"; fail "installing rdma-core $ver failed"; }
	unlock rdma-core
}
