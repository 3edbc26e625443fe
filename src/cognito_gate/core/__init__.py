"""Framework-free sign-in logic: settings, the OAuth/OIDC steps, token checks, cookie sessions."""
