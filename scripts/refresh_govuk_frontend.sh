#!/usr/bin/env bash
# Refresh the vendored front-end assets that are committed to this repository.
#
# The service renders GOV.UK Design System components (GOV.UK Frontend) on
# server-side Jinja pages, but it is NOT a GOV.UK service, so it must not use
# the GOV.UK brand: no crown/crest, no GOV.UK logotype, and no "GDS Transport"
# font. The design system asks services outside GOV.UK to use another typeface;
# we use Arial (GOV.UK Frontend's own fallback, which its type scale is tuned for).
#
# Nothing is built when the Python package is installed: this script is run by
# a developer, and its output is committed inside the package:
#
#   ethics_api/static/govuk-frontend/
#     govuk-frontend.min.css   compiled here from Sass, compressed, no source map
#     govuk-frontend.min.js    the ES module bundle from the npm package, unchanged
#     assets/images/...        only images the compiled CSS refers to, minus any
#                              crown/crest/logotype (brand) images; may be absent
#     LICENSE                  GOV.UK Frontend's MIT licence
#     README.md                provenance and what was left out
#   tests/vendor/axe-core/
#     axe.min.js, LICENSE, LICENSE-3RD-PARTY.txt, README.md
#
# Usage: scripts/refresh_govuk_frontend.sh   (needs node, npm and network access
# to the npm registry; GitHub is only used to fetch the licence text, see below)
#
# To upgrade, change the pinned versions below, run the script, review the diff.

set -euo pipefail

# ---------------------------------------------------------------------------
# Pinned versions (exact; never ranges)
# ---------------------------------------------------------------------------
GOVUK_FRONTEND_VERSION="6.6.0"
SASS_VERSION="1.108.2"
AXE_CORE_VERSION="4.14.1"

# URL the compiled CSS uses for images and fonts (trailing slash required).
# Flask serves ethics_api/static/ at /static/.
ASSETS_URL="/static/govuk-frontend/assets/"

# Brand images that must never be shipped, even if the CSS refers to them
# (the footer's "Crown copyright" crest, the crown/logotype, GOV.UK icons).
BRAND_IMAGE_PATTERN='crest|crown|logotype|govuk-icon|favicon|opengraph'

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GOVUK_OUT="${REPO_ROOT}/ethics_api/static/govuk-frontend"
AXE_OUT="${REPO_ROOT}/tests/vendor/axe-core"

# ---------------------------------------------------------------------------
# Work in a throw-away folder so the repository never gets a node_modules/
# ---------------------------------------------------------------------------
WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
cd "${WORK}"

echo "Installing govuk-frontend@${GOVUK_FRONTEND_VERSION}, sass@${SASS_VERSION}, axe-core@${AXE_CORE_VERSION} in ${WORK}"
npm init -y >/dev/null
# --ignore-scripts: none of these packages needs an install script to work.
npm install --save-exact --ignore-scripts --no-audit --no-fund --loglevel=error \
  "govuk-frontend@${GOVUK_FRONTEND_VERSION}" \
  "sass@${SASS_VERSION}" \
  "axe-core@${AXE_CORE_VERSION}"

GF="${WORK}/node_modules/govuk-frontend"
GF_DIST="${GF}/dist/govuk"

# Make sure npm gave us exactly what we pinned.
check_version() { # <package> <expected>
  local got
  got="$(node -p "require('./node_modules/$1/package.json').version")"
  if [[ "${got}" != "$2" ]]; then
    echo "error: $1 is ${got}, expected $2" >&2
    exit 1
  fi
}
check_version govuk-frontend "${GOVUK_FRONTEND_VERSION}"
check_version sass "${SASS_VERSION}"
check_version axe-core "${AXE_CORE_VERSION}"

# ---------------------------------------------------------------------------
# Compile the stylesheet
# ---------------------------------------------------------------------------
# Settings (see node_modules/govuk-frontend/dist/govuk/settings/):
#   $govuk-font-family               _typography-font.scss; default is
#                                    "GDS Transport", arial, sans-serif.
#   $govuk-include-default-font-face _typography-font.scss; defaults to true
#                                    only when "GDS Transport" is in the font
#                                    family. Set false explicitly so the
#                                    Transport @font-face rules (and the font
#                                    URLs) can never be emitted.
#   $govuk-assets-path               _assets.scss; base of $govuk-images-path
#                                    and $govuk-fonts-path (default "/assets/").
# v6 is configured with `@use ... with (...)` (the `@import` style is deprecated).
cat > entry.scss <<SCSS
// Entry file: GOV.UK Frontend ${GOVUK_FRONTEND_VERSION} without the GOV.UK brand font.
@use "govuk-frontend/dist/govuk" with (
  \$govuk-font-family: (arial, sans-serif),
  \$govuk-include-default-font-face: false,
  \$govuk-assets-path: "${ASSETS_URL}"
);
SCSS

./node_modules/.bin/sass \
  --load-path=node_modules \
  --style=compressed \
  --no-source-map \
  --quiet-deps \
  entry.scss govuk-frontend.min.css

# Refuse to ship a stylesheet that still carries the brand font.
if grep -q 'GDS Transport' govuk-frontend.min.css || grep -q '@font-face' govuk-frontend.min.css; then
  echo "error: compiled CSS still contains GDS Transport / @font-face" >&2
  exit 1
fi

# ---------------------------------------------------------------------------
# Assemble the output in a staging folder, then swap it in
# ---------------------------------------------------------------------------
STAGE="${WORK}/stage"
mkdir -p "${STAGE}"
cp govuk-frontend.min.css "${STAGE}/govuk-frontend.min.css"
# The ES module bundle, exactly as shipped in the npm package (its trailing
# sourceMappingURL comment is harmless: only devtools ever request the map).
cp "${GF_DIST}/govuk-frontend.min.js" "${STAGE}/govuk-frontend.min.js"

# Images: copy only those the compiled CSS refers to, skipping brand images.
# Fonts are never copied.
SHIPPED_IMAGES=()
SKIPPED_IMAGES=()
while IFS= read -r image; do
  [[ -n "${image}" ]] || continue
  if [[ "${image}" =~ ${BRAND_IMAGE_PATTERN} ]]; then
    SKIPPED_IMAGES+=("${image}")
    continue
  fi
  mkdir -p "${STAGE}/assets/images"
  cp "${GF_DIST}/assets/images/${image}" "${STAGE}/assets/images/${image}"
  SHIPPED_IMAGES+=("${image}")
done < <(grep -oE "url\\(\"?${ASSETS_URL}images/[^\")?#]+" govuk-frontend.min.css \
           | sed -E "s|.*${ASSETS_URL}images/||" | sort -u)
echo "Images referenced by the CSS and shipped: ${SHIPPED_IMAGES[*]:-(none)}"
echo "Images referenced by the CSS but left out (brand): ${SKIPPED_IMAGES[*]:-(none)}"

# Licence: the npm tarball of govuk-frontend does not include LICENSE.txt, so
# take it from the matching git tag on GitHub. If GitHub is unreachable, keep
# the committed copy (the licence text has not changed in years).
LICENSE_URL="https://raw.githubusercontent.com/alphagov/govuk-frontend/v${GOVUK_FRONTEND_VERSION}/LICENSE.txt"
if curl -fsSL --max-time 30 "${LICENSE_URL}" -o "${STAGE}/LICENSE" 2>/dev/null; then
  echo "Fetched LICENSE from ${LICENSE_URL}"
elif [[ -f "${GOVUK_OUT}/LICENSE" ]]; then
  echo "warning: could not fetch ${LICENSE_URL}; keeping the committed LICENSE" >&2
  cp "${GOVUK_OUT}/LICENSE" "${STAGE}/LICENSE"
else
  echo "error: could not fetch ${LICENSE_URL} and no committed LICENSE exists" >&2
  exit 1
fi
grep -q 'MIT' "${STAGE}/LICENSE" || { echo "error: LICENSE is not the MIT licence" >&2; exit 1; }

if ((${#SHIPPED_IMAGES[@]})); then
  IMAGES_NOTE="\`assets/images/\`: ${SHIPPED_IMAGES[*]} (the only non-brand images the CSS refers to)."
else
  IMAGES_NOTE="No \`assets/\` folder: the only image the compiled CSS refers to is brand imagery (see below), and no fonts are used."
fi

cat > "${STAGE}/README.md" <<README
# GOV.UK Frontend ${GOVUK_FRONTEND_VERSION} (unbranded build)

Vendored from the npm package [govuk-frontend@${GOVUK_FRONTEND_VERSION}](https://www.npmjs.com/package/govuk-frontend/v/${GOVUK_FRONTEND_VERSION})
(source: <https://github.com/alphagov/govuk-frontend>), MIT licence (see \`LICENSE\`).
These files are committed so that installing the Python package needs no build step.

- \`govuk-frontend.min.css\`: compiled with sass ${SASS_VERSION} (compressed, no source map) from
  \`@use "govuk-frontend/dist/govuk" with (\$govuk-font-family: (arial, sans-serif),
  \$govuk-include-default-font-face: false, \$govuk-assets-path: "${ASSETS_URL}")\`.
- \`govuk-frontend.min.js\`: \`dist/govuk/govuk-frontend.min.js\`, the ES module bundle, unchanged.
  Load it through \`../app.js\` with \`<script type="module">\` (no inline script: the CSP forbids it).
- ${IMAGES_NOTE}

## Left out, and why

This service is not part of GOV.UK, so it must not use the GOV.UK brand:

- the "GDS Transport" typeface: no \`@font-face\` rules and no font files; text uses Arial
  (GOV.UK Frontend's fallback font) as the design system asks of services outside GOV.UK;
- the crown, the royal crest and the GOV.UK logotype, and the GOV.UK favicons/icons and
  Open Graph image.${SKIPPED_IMAGES[*]:+ Left out although the CSS refers to it: ${SKIPPED_IMAGES[*]}
  (used only by \`.govuk-footer__copyright-logo\`, the Crown copyright link of the GOV.UK footer; do not use that class).}
  Use the Generic header (\`govuk-generic-header\`) rather than the GOV.UK header.

## Refreshing

Edit the pinned versions at the top of \`scripts/refresh_govuk_frontend.sh\`, run it from the
repository root, and review the diff. It installs the pinned packages with npm in a temporary
folder, compiles the CSS, and rewrites this folder and \`tests/vendor/axe-core/\`.
README

rm -rf "${GOVUK_OUT}"
mkdir -p "$(dirname "${GOVUK_OUT}")"
cp -R "${STAGE}" "${GOVUK_OUT}"

# ---------------------------------------------------------------------------
# axe-core, for accessibility checks in browser tests (not shipped in the package)
# ---------------------------------------------------------------------------
AXE="${WORK}/node_modules/axe-core"
rm -rf "${AXE_OUT}"
mkdir -p "${AXE_OUT}"
cp "${AXE}/axe.min.js" "${AXE}/LICENSE" "${AXE_OUT}/"
# axe.min.js bundles third-party MIT code whose notices are in this file.
cp "${AXE}/LICENSE-3RD-PARTY.txt" "${AXE_OUT}/"
cat > "${AXE_OUT}/README.md" <<README
# axe-core ${AXE_CORE_VERSION}

\`axe.min.js\` from the npm package [axe-core@${AXE_CORE_VERSION}](https://www.npmjs.com/package/axe-core/v/${AXE_CORE_VERSION})
(source: <https://github.com/dequelabs/axe-core>), unchanged. Licence: MPL-2.0 (\`LICENSE\`);
bundled third-party code: \`LICENSE-3RD-PARTY.txt\`.

Purpose: accessibility checks in the browser tests (inject \`axe.min.js\` into the page under
test and run \`axe.run()\`). Test-only; it is not part of the Python package.

Refresh with \`scripts/refresh_govuk_frontend.sh\` (the version is pinned there).
README

echo
echo "Done:"
find "${GOVUK_OUT}" "${AXE_OUT}" -type f -exec ls -l {} + | awk '{print $5, $NF}'
