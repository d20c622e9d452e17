// Starts the vendored Swagger UI from a file (not an inline script) so the page obeys the
// Content-Security-Policy; the spec URL comes from a data attribute.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    validatorUrl: null,
    persistAuthorization: false,
  });
});
