# web/assets.mk - the browser files compiled into the binary, and the npm
# step that fetches the pinned ones.  Included by the Makefile and by
# tests/fuzz/fuzz.mk (fuzz_router links the handlers, h_docs.c too).
#
# package.json pins swagger-ui-dist, the one npm package the build needs;
# package-lock.json pins every byte.  `npm ci` runs when node_modules is
# missing or the lock file changed, without install scripts (none of these
# packages needs one, and none should run at build time).  Both run on
# Debian 12's own nodejs 18 and npm 9 (docs/DECISIONS.md).  npm sets every unpacked file's date to 1985, so the
# stamp, not the files, tells make when they changed.
ifndef GH_ASSETS_MK
GH_ASSETS_MK := 1

NPM_STAMP  := node_modules/.package-lock.json
SWAGGER_UI := node_modules/swagger-ui-dist
DOCS_FILES := web/docs/index.html web/docs/swagger-init.js \
              $(SWAGGER_UI)/swagger-ui.css $(SWAGGER_UI)/swagger-ui-bundle.js \
              $(SWAGGER_UI)/favicon-32x32.png

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

endif
