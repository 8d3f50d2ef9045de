"""The commands: parse the flags, build a config, call the library, print. The only place that
prints, exits, names a ``--flag`` or changes process-wide state."""
