"""Plain functions for one use case each, composing storage and signing; shared by tasks, the
command line and (later) the console. No Prefect here."""
