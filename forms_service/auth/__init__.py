"""Who may do what: accounts, sign-in (password + authenticator, or single sign-on),
server-side sessions, API tokens, rate limits, and the one access policy."""
