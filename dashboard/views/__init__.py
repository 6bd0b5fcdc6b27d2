"""The staff dashboard's pages: thin views over the services (writes) and selectors (reads)."""
