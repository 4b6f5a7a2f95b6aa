"""Sample dossiers rendered here (nothing is downloaded), and the demo that digitizes them."""
