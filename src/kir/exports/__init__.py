"""Open formats: CSAF 2.0 documents of published issues (and, later, the CSAF provider layout,
XLSX and the estate check). Reads go through kir.register.selectors."""
