"""Demo data for `make demo`: organisations, users, catalogue. Only ever loaded with KIR_DEMO on."""
