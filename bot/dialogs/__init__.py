"""Declared dialogs (one short file each) and the engine that gives them all the same manners."""
