"""The `sms-assistant` command line, one module per command group."""
