"""Patients from a practice-management system's export (SPEC §11): `files` reads CSV and XLSX,
`mappings` says which column is which field, `rows` reads a row, `service` imports them."""
