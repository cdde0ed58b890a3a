"""Reports: /report and /stock, read from the store (never from WB)."""
