"""Data rights: a person's data exported or erased; personal data kept only as needed."""
