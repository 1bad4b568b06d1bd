"""Level-of-care knowledge, pure Python (no Django): the ASAM level catalog and, later, the placement rules."""
