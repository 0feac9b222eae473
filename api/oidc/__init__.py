"""Staff sign-in through the organisation's OpenID Connect provider (settings, claims, routes)."""
