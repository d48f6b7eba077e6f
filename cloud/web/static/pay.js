// The pay page: Stripe.js collects the card; the cloud confirms the payment; Stripe.js runs
// the bank's check (3-D Secure) when asked; then the order page waits for Stripe's webhook.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form || typeof window.Stripe !== "function") {
    var box = document.getElementById("pay-errors");
    if (box) {
      box.hidden = false;
      box.textContent = "The payment form could not load. Please check your connection and reload.";
    }
    return;
  }
  var stripe = window.Stripe(form.getAttribute("data-publishable-key"));
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("pay-button");
  var errors = document.getElementById("pay-errors");
  var status = document.getElementById("pay-status");
  var doneUrl = form.getAttribute("data-done-url");
  button.disabled = false;

  function fail(message) {
    errors.hidden = false;
    errors.textContent = message || "The payment did not go through. Please try again.";
    errors.focus();
    status.textContent = "";
    button.disabled = false;
  }

  function describe(error) {
    return (error && (error.message || error.code)) || null;
  }

  // A payment method from the card: Stripe.js's createPaymentMethod, or a card token where a
  // Stripe.js build offers only that.
  function paymentMethod() {
    var name = form.getAttribute("data-buyer-name");
    var made = stripe.createPaymentMethod({type: "card", card: card, billing_details: {name: name}});
    return Promise.resolve(made).then(function (result) {
      if (result && result.error) { throw result.error; }
      if (result && result.paymentMethod) { return result.paymentMethod.id; }
      return stripe.createToken(card).then(function (tokenResult) {
        if (tokenResult.error) { throw tokenResult.error; }
        return tokenResult.token.card.id;
      });
    });
  }

  function confirmOnServer(method) {
    var body = new URLSearchParams();
    body.set("payment_method", method);
    return fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": form.getAttribute("data-csrf-token")},
      body: body
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok || answer.error) { throw {message: answer.error}; }
        return answer;
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.hidden = true;
    button.disabled = true;
    status.textContent = "Paying…";
    paymentMethod()
      .then(confirmOnServer)
      .then(function (answer) {
        if (answer.status === "requires_action") {
          status.textContent = "Your bank asks you to confirm the payment…";
          return stripe.confirmCardPayment(answer.client_secret).then(function (result) {
            if (result.error) { throw result.error; }
          });
        }
        if (answer.status === "requires_payment_method") { throw {message: null}; }
      })
      .then(function () {
        status.textContent = "Payment sent. Opening your order…";
        window.location.assign(doneUrl);
      })
      .catch(function (error) { fail(describe(error)); });
  });
})();
