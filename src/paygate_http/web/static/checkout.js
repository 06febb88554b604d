// Hosted checkout: groups the card number in fours as it is typed and disables the Pay
// button once the form is submitted (the server makes one payment per page either way).
(function () {
  "use strict";
  var form = document.querySelector("form.checkout-form");
  if (!form) {
    return;
  }
  var number = form.querySelector("#card_number");
  if (number) {
    number.setAttribute("inputmode", "numeric");
    number.addEventListener("input", function () {
      var digits = number.value.replace(/\D/g, "").slice(0, 19);
      var grouped = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
      if (grouped !== number.value) {
        number.value = grouped;
      }
    });
  }
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
      button.setAttribute("aria-busy", "true");
    }
  });
})();
