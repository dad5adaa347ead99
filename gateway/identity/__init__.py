"""Identity at the gateway (``/auth/…``): people sign in with phone and password, machines
with OAuth2 client credentials, and every token says whose rights it carries and how far
they reach. Sub-domains: ``users`` (accounts and delegated administration), ``sessions``
(the token endpoint, refresh tokens, lockout), ``clients`` (machine clients and their
secrets), ``audit`` (who did what, when, from where). ADRs 0060–0062.
"""
