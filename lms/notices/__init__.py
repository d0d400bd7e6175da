"""Public notices: the privacy notice and the accessibility statement."""
