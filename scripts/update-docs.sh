#!/usr/bin/env bash
# Regenerates the reference docs that come from TableGen (the dialect's ops and
# attributes, the passes) and copies them into docs/. A lit test fails when the
# copies in docs/ no longer match what the build generates.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake --build "$build" --target mlir-doc
cp "$build/docs/dialects/TesseraDialect.md" docs/dialect/TesseraDialect.md
cp "$build/docs/passes/TesseraPasses.md" docs/passes/TesseraPasses.md
cp "$build/docs/passes/TesseraCodegenPasses.md" docs/passes/TesseraCodegenPasses.md
cp "$build/docs/passes/TesseraConversionPasses.md" docs/passes/TesseraConversionPasses.md
echo "update-docs: docs/dialect/ and docs/passes/ are current"
