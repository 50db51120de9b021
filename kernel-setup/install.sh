#!/usr/bin/env bash
# kernel-setup/install.sh: install everything corpushunt needs on Debian 12, idempotently.
#
#   Debian packages  FAISS (libfaiss-dev + BLAS/LAPACK), headless Jupyter, Chromium,
#                    python3-faiss (cross-checks index files with FAISS's own binding),
#                    the classic Notebook server (notebooks/frontend_test.go drives it)
#   libfaiss_c       FAISS's C API, compiled from Debian's own faiss source package
#                    against Debian's static libfaiss.a (Debian does not ship it built)
#   Go tools         GoNB (a go.mod tool), goimports, gopls
#   Jupyter kernel   "gonb", with a kernel.json whose PATH holds go, goimports and gopls
#   weaviate-server  Weaviate v1.35.2 (go install into $(go env GOPATH)/bin, a few minutes):
#                    the local clusters of simsearch/store/weaviate/localcluster
#
# Each step checks first and does nothing when its piece is already there, so a second run
# takes seconds. Run as root or with sudo available. Environment:
#   JUPYTER_DATA_DIR   where the kernel is registered (default ~/.local/share/jupyter)
#   CORPUSHUNT_PREFIX  where libfaiss_c goes (default /usr/local)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${CORPUSHUNT_PREFIX:-/usr/local}
faiss_version=1.7.3

say()  { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[setup] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  SUDO=()
  need_root=1
fi
as_root() {
  if [ -n "${need_root:-}" ]; then
    fail "'$*' needs root and sudo is not installed: run this script as root."
  fi
  "${SUDO[@]}" "$@"
}

command -v go >/dev/null 2>&1 || fail "go is not on PATH: install Go 1.26 (https://go.dev/dl/) first."
[ -r /etc/debian_version ] || say "warning: not a Debian system; package names assume Debian 12 (bookworm)."

# --- 1. Debian packages ------------------------------------------------------------------
packages=(libfaiss-dev libopenblas-dev liblapack-dev g++ dpkg-dev
          jupyter-nbconvert jupyter-client python3-nbclient python3-faiss chromium
          jupyter-notebook)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq || fail "apt-get update failed: check the network and /etc/apt/sources.list.d"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
    >/tmp/corpushunt-apt.log 2>&1 || { tail -20 /tmp/corpushunt-apt.log >&2; fail "apt-get install ${missing[*]} (log: /tmp/corpushunt-apt.log)"; }
else
  say "Debian packages: all present"
fi

# --- 2. libfaiss_c from Debian's faiss source --------------------------------------------
lib="$prefix/lib/libfaiss_c.so"
stamp="$prefix/lib/libfaiss_c.corpushunt-stamp"
if [ -f "$lib" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$faiss_version" ] && ldconfig -p | grep -q libfaiss_c.so; then
  say "libfaiss_c: present ($lib)"
else
  say "building libfaiss_c $faiss_version from Debian's faiss source package"
  srcfile=/etc/apt/sources.list.d/corpushunt-deb-src.sources
  if ! grep -rqs 'deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    say "adding a deb-src entry for bookworm main ($srcfile)"
    as_root tee "$srcfile" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    as_root apt-get update -qq || fail "apt-get update after adding $srcfile"
  fi
  work=$(mktemp -d /tmp/corpushunt-faiss.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get source -qq --download-only faiss >/dev/null 2>&1 && dpkg-source -x faiss_*.dsc src >/dev/null) \
    || fail "apt-get source faiss failed (needs a deb-src entry and dpkg-dev); see $srcfile"
  src="$work/src"
  got=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version | cut -d- -f1 | sed 's/+.*//')
  [ "$got" = "$faiss_version" ] || say "warning: faiss source is $got, expected $faiss_version"
  mkdir -p "$work/obj"
  # The same source list as faiss/c_api/CMakeLists.txt.
  mapfile -t sources < <(ls "$src"/c_api/*.cpp "$src"/c_api/impl/*.cpp "$src"/c_api/utils/*.cpp 2>/dev/null)
  [ ${#sources[@]} -gt 0 ] || fail "no C API sources under $src/c_api"
  jobs=$(nproc)
  printf '%s\n' "${sources[@]}" | xargs -P "$jobs" -I{} sh -c \
    'g++ -std=c++17 -O2 -fPIC -fopenmp -I"$1" -c "$2" -o "$3/$(echo "$2" | sed "s|$1/||; s|/|_|g").o"' _ "$src" {} "$work/obj" \
    || fail "compiling FAISS C API sources"
  g++ -shared -o "$work/libfaiss_c.so" "$work"/obj/*.o /usr/lib/x86_64-linux-gnu/libfaiss.a \
      -lopenblas -llapack -fopenmp -Wl,-soname,libfaiss_c.so \
    || fail "linking libfaiss_c.so against /usr/lib/x86_64-linux-gnu/libfaiss.a"
  as_root install -D -m 0755 "$work/libfaiss_c.so" "$lib"
  echo "$faiss_version" | as_root tee "$stamp" >/dev/null
  as_root ldconfig
  say "installed $lib"
fi
# Headers: go-faiss includes <faiss/c_api/...>; libfaiss-dev ships them.
[ -f /usr/include/faiss/c_api/Index_c.h ] || fail "/usr/include/faiss/c_api/Index_c.h missing: reinstall libfaiss-dev"

# --- 3. Go tools ---------------------------------------------------------------------------
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
if ! command -v goimports >/dev/null 2>&1; then
  say "installing goimports"
  go install golang.org/x/tools/cmd/goimports@latest || fail "go install goimports"
fi
if ! gopls version 2>/dev/null | grep -q 'v0.21.0'; then
  say "installing gopls v0.21.0"
  go install golang.org/x/tools/gopls@v0.21.0 || fail "go install gopls@v0.21.0"
fi
mkdir -p "$repo/bin"
if [ ! -x "$repo/bin/gonb" ] || [ "$repo/go.mod" -nt "$repo/bin/gonb" ]; then
  say "building GoNB (go.mod tool) into bin/gonb"
  (cd "$repo" && go build -o bin/gonb github.com/janpfeifer/gonb) || fail "go build github.com/janpfeifer/gonb"
fi

# --- 4. Jupyter kernel ---------------------------------------------------------------------
datadir=${JUPYTER_DATA_DIR:-$HOME/.local/share/jupyter}
kjson="$datadir/kernels/gonb/kernel.json"
gobindir=$(dirname "$(command -v go)")
kpath="$gobin:$gobindir:/usr/local/bin:/usr/bin:/bin"
want_bin="$datadir/kernels/gonb/gonb"
if [ -f "$kjson" ] && [ -x "$want_bin" ] && cmp -s "$repo/bin/gonb" "$want_bin" && grep -q "\"PATH\": \"$kpath\"" "$kjson"; then
  say "Jupyter kernel gonb: registered ($kjson)"
else
  say "registering the gonb Jupyter kernel in $datadir"
  JUPYTER_DATA_DIR="$datadir" "$repo/bin/gonb" --install --force_copy --logtostderr=false >/dev/null 2>&1 \
    || fail "gonb --install"
  /usr/bin/python3 - "$kjson" "$kpath" <<'EOF' || fail "writing env into $kjson"
import json, sys
path, kpath = sys.argv[1], sys.argv[2]
with open(path) as f:
    cfg = json.load(f)
cfg.setdefault("env", {})["PATH"] = kpath
cfg["env"]["GOMLX_NO_AUTO_INSTALL"] = "1"
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
EOF
fi

# --- 5. weaviate-server --------------------------------------------------------------------
# It has no --version flag (it exits 1 on it): `go version -m` reads the module version
# built into the binary.
weaviate_version=v1.35.2
wbin="$gobin/weaviate-server"
have=$(go version -m "$wbin" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/weaviate/weaviate" { print $3 }' || true)
if [ -x "$wbin" ] && [ "$have" = "$weaviate_version" ]; then
  say "weaviate-server $weaviate_version: present ($wbin)"
else
  say "installing weaviate-server $weaviate_version into $gobin${have:+ (found $have)} (go install: a few minutes)"
  go install "github.com/weaviate/weaviate/cmd/weaviate-server@$weaviate_version" \
    || fail "go install github.com/weaviate/weaviate/cmd/weaviate-server@$weaviate_version"
fi

say "done. Check with: make doctor"
