"""The card reader: PC/SC reads, a durable journal, signed uploads, offline decisions."""
