// The API documentation page: Swagger UI over our OpenAPI schema (no inline script: the
// Content-Security-Policy allows scripts from this site only).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: true,
    // "Try it out" sends requests from this page with the key the reader enters.
    persistAuthorization: false,
  });
})();
