// mofan: the interactive API docs (api/docs.html), loaded only there.
//
// Swagger UI (vendored under static/vendor/swagger-ui, swagger-ui-dist) reads the generated
// OpenAPI document named by data-schema-url and replaces the server-rendered listing, which stays
// the page without JavaScript or when Swagger UI fails to load. Nothing is fetched from outside:
// the online validator badge is switched off. No inline script or style (strict CSP).
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("api-docs-interactive");
    var listing = document.getElementById("api-docs-listing");
    if (!node || typeof window.SwaggerUIBundle !== "function") {
      return;
    }
    window.SwaggerUIBundle({
      url: node.getAttribute("data-schema-url"),
      domNode: node,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      validatorUrl: null,
      deepLinking: false,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      displayRequestDuration: true,
      // The API authenticates by token only (mofan/api/auth.py: Authorization: Bearer); the token
      // typed into "Authorize" lives in this page's memory, never in storage.
      persistAuthorization: false,
      onComplete: function () {
        node.hidden = false;
        if (listing) {
          listing.hidden = true;
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
