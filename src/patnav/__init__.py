"""patnav: industrial patent navigation."""
