/*
 * swagger-init.js - starts Swagger UI on /docs, configured as FastAPI's
 * /docs is: the document at /openapi.json, and Authorize runs the OAuth2
 * password flow against the tokenUrl the document names (/auth/token).
 * A served file rather than an inline script, so the page's
 * Content-Security-Policy can keep script-src 'self'.
 */
"use strict";

window.addEventListener("load", function () {
	window.ui = SwaggerUIBundle({
		url: "/openapi.json",
		dom_id: "#swagger-ui",
		layout: "BaseLayout",
		deepLinking: true,
		showExtensions: true,
		showCommonExtensions: true,
		/* no badge fetched from validator.swagger.io: nothing leaves
		 * this origin */
		validatorUrl: null,
		presets: [SwaggerUIBundle.presets.apis],
	});
});
