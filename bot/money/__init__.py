"""The money view: what the seller keeps (cost prices, tax, profit)."""
