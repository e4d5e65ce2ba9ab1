/* The card page (payments/card.html): Stripe.js collects the card and this posts the PaymentMethod (real
   Stripe) or token (localstripe) to card_confirm. A static file, not an inline script, so that the Content
   Security Policy needs no 'unsafe-inline'. */
(function () {
  var form = document.getElementById("card-form");
  var stripe = Stripe(form.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  function post(body) {
    return fetch(form.dataset.confirmUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value},
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    document.getElementById("card-submit").disabled = true;
    errors.textContent = "";
    // Real Stripe.js gives a PaymentMethod; localstripe's fake Stripe.js only tokens.
    var body = null;
    var pm = stripe.createPaymentMethod ? await stripe.createPaymentMethod({type: "card", card: card}) : null;
    if (pm && pm.paymentMethod) { body = {payment_method: pm.paymentMethod.id}; }
    else {
      var tok = await stripe.createToken(card);
      if (tok.error) { errors.textContent = tok.error.message || "error"; document.getElementById("card-submit").disabled = false; return; }
      body = {token: tok.token.id};
    }
    var result = await post(body);
    if (result.status === "requires_action") {
      // Our server creates the PaymentIntent with Stripe's default automatic confirmation and confirms it
      // itself (providers/stripe_card.py), which is Stripe's "finalize payments on the server" flow: its
      // next action (3D Secure) is finished by stripe.handleNextAction. handleCardAction belongs to the
      // manual-confirmation flow (it leaves the intent in requires_confirmation for a second server
      // confirm we never make), so it is not used. localstripe's fake Stripe.js has no handleNextAction;
      // only there confirmCardPayment, which shows its authentication dialog and finishes the intent.
      var action = stripe.handleNextAction
        ? await stripe.handleNextAction({clientSecret: result.client_secret})
        : await stripe.confirmCardPayment(result.client_secret);
      if (action.error) { errors.textContent = action.error.message || "error"; document.getElementById("card-submit").disabled = false; return; }
      // The bank's check (3D Secure) ended in the browser, so our server has not seen the result yet.
      // Reloading the card page makes it read the PaymentIntent: a succeeded one is recorded at once and
      // the page sends the buyer on to the payment (paid), instead of "awaiting payment" until Stripe's
      // webhook arrives; an intent that still needs a card shows the form again.
      window.location.replace(window.location.href);
      return;
    }
    if (result.status === "succeeded" || result.status === "processing") { window.location = result.redirect; return; }
    errors.textContent = result.message || "";
    document.getElementById("card-submit").disabled = false;
  });
})();
