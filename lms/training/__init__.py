"""Staff training: my modules, taking a module, feedback and results."""
