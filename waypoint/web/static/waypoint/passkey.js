// After django-otp-webauthn's script registers a passkey, go back to the two-factor page, which lists it.
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const target = event.detail && event.detail.response && event.detail.response.redirect_url;
  if (target) window.location.assign(target);
});
