"""Kemendagri regions (provinsi → kabupaten/kota → kecamatan → desa/kelurahan),
the offices that own them, and routing of a village to its responsible office."""
