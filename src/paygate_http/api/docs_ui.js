// Starts Swagger UI on the page /schema serves (docs_ui.py). It lives in its own file, not
// in the page, so the page runs under a Content-Security-Policy without 'unsafe-inline'.
// The OpenAPI document's URL comes from the container's data-openapi-url attribute.
"use strict";

(function () {
  var container = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: container.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // No badge from the third-party online validator: the page talks to Paygate only.
    validatorUrl: null,
  });
})();
