"""Power-monitoring portal for Accuenergy Acuvim meters."""
