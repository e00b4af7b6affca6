"""Other engines for listclean's stages (the local one is ``listclean.pipeline``): ``spark``."""
