"""Single sign-on with a school's Microsoft 365 (Entra ID) or Google Workspace account (issue 16)."""
